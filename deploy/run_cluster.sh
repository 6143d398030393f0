#!/usr/bin/env bash
# Starts N Streamlit processes behind nginx (Debian's) with sticky sessions; stops them all on exit.
#   deploy/run_cluster.sh [processes=2] [port=8080]
# Then open http://127.0.0.1:<port>/. Ctrl-C (or SIGTERM) stops nginx and every process.
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${1:-2}
port=${2:-8080}
first_backend_port=${BACKEND_PORT:-8701}
prefix=$(mktemp -d /tmp/twolayer-cluster.XXXXXX)
python=${PYTHON:-python}
# Every process must sign the same cookies (XSRF tokens), whichever one a request reaches.
secret=${COOKIE_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}

pids=()
stop() {
  [ -f "$prefix/nginx.pid" ] && kill "$(cat "$prefix/nginx.pid")" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$prefix"
}
trap stop EXIT INT TERM

upstreams="" splits="" cookies=""
for i in $(seq 1 "$processes"); do
  backend_port=$((first_backend_port + i - 1))
  OPENBLAS_NUM_THREADS=1 STREAMLIT_SERVER_COOKIE_SECRET="$secret" \
    "$python" -m streamlit run app.py --server.headless true --server.port "$backend_port" \
    --server.address 127.0.0.1 --server.fileWatcherType none --browser.gatherUsageStats false \
    > "$prefix/streamlit-$i.log" 2>&1 &
  pids+=($!)
  upstreams+="    upstream backend$i { server 127.0.0.1:$backend_port; }"$'\n'
  cookies+="        backend$i backend$i;"$'\n'
  share=$((100 / processes))
  if [ "$i" -lt "$processes" ]; then splits+="        $share% backend$i;"$'\n'; else splits+="        * backend$i;"$'\n'; fi
done

mkdir -p "$prefix"/{body,proxy,fastcgi,uwsgi,scgi}
python3 - "$prefix" "$port" "$upstreams" "$splits" "$cookies" <<'PY'
import sys
prefix, port, upstreams, splits, cookies = sys.argv[1:]
text = open("deploy/nginx.conf.template").read()
text = text.replace("@PREFIX@", prefix).replace("@PORT@", port)
text = text.replace("@UPSTREAMS@", upstreams.rstrip()).replace("@SPLITS@", splits.rstrip())
text = text.replace("@COOKIES@", cookies.rstrip())
open(f"{prefix}/nginx.conf", "w").write(text)
PY

healthy() {  # no curl on a minimal Debian: ask with Python
  python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null
}
for i in $(seq 1 "$processes"); do
  backend_port=$((first_backend_port + i - 1))
  for _ in $(seq 1 120); do healthy "http://127.0.0.1:$backend_port/_stcore/health" && break; sleep 0.5; done
  healthy "http://127.0.0.1:$backend_port/_stcore/health" || { cat "$prefix/streamlit-$i.log"; exit 1; }
done
nginx -c "$prefix/nginx.conf" -p "$prefix" -g "daemon off;" &
pids+=($!)
for _ in $(seq 1 40); do healthy "http://127.0.0.1:$port/_stcore/health" && break; sleep 0.25; done
echo "twolayer: $processes processes behind nginx at http://127.0.0.1:$port/ (logs in $prefix)"
wait
