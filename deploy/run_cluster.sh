#!/usr/bin/env bash
# Starts N Streamlit processes behind nginx (Debian's) with sticky sessions; stops them all on exit.
#   deploy/run_cluster.sh [processes=2] [port=8080]
# Then open http://127.0.0.1:<port>/. Ctrl-C (or SIGTERM) stops nginx and every process.
# Environment: LISTEN_ADDRESS (default 127.0.0.1; 0.0.0.0 opens it to every network on purpose),
# PER_IP_CONNECTIONS (default 100: open tabs and requests in flight per client address; raise it for a
# room behind one NAT address), BACKEND_PORT (first backend's port, default 8701), PYTHON, COOKIE_SECRET.
set -euo pipefail
cd "$(dirname "$0")/.."
processes=${1:-2}
port=${2:-8080}
first_backend_port=${BACKEND_PORT:-8701}
listen=${LISTEN_ADDRESS:-127.0.0.1}
per_ip=${PER_IP_CONNECTIONS:-100}
python=${PYTHON:-python}
whole() {  # name value largest: a clear message instead of a broken nginx.conf
  if ! [[ "$2" =~ ^[1-9][0-9]{0,5}$ ]] || [ "$2" -gt "$3" ]; then
    echo "run_cluster.sh: $1 must be a whole number from 1 to $3, got '$2'" >&2
    exit 2
  fi
}
whole processes "$processes" 32; whole port "$port" 65535; whole PER_IP_CONNECTIONS "$per_ip" 1000
whole BACKEND_PORT "$first_backend_port" $((65536 - processes))
[[ "$listen" =~ ^[0-9a-fA-F.:]+$ ]] || { echo "run_cluster.sh: LISTEN_ADDRESS must be an IP address, got '$listen'" >&2; exit 2; }
[[ "$listen" == *:* ]] && listen="[$listen]"  # IPv6, as nginx's listen wants it

umask 077  # logs, config and temp files: this user's (and the nginx workers') only
prefix=$(mktemp -d /tmp/twolayer-cluster.XXXXXX)
# Every process must sign the same cookies (XSRF tokens), whichever one a request reaches.
secret=${COOKIE_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
# Each open tab holds a websocket (a file descriptor in nginx twice, and in its backend): lift the soft limit
# on open files to the hard one, for nginx and the backends (a soft 1024 would refuse tabs long before
# worker_connections does).
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -Sn "$hard"

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

# nginx buffers request bodies over 16 KB and responses a slow client has not taken yet in files under
# $prefix: its workers must be able to write there. Started as root, the master keeps root and the workers
# run as nobody (not root: they parse what the network sends), so nobody gets the temp folders and may pass
# through $prefix (mktemp made it root-only: every upload over 16 KB got HTTP 500, slow clients truncated
# files). Started as anyone else, the workers are that user and own everything already.
mkdir -p "$prefix"/{body,proxy,fastcgi,uwsgi,scgi}
if [ "$(id -u)" -eq 0 ]; then
  workers="nobody $(id -gn nobody)"
  user_line="user $workers;  # the workers; the master, started as root, only binds the port and reads this file"
  chown ${workers/ /:} "$prefix"/{body,proxy,fastcgi,uwsgi,scgi}
  chmod 711 "$prefix"
else
  user_line="# started as $(id -un): the workers run as that user"
fi
python3 - "$prefix" "$port" "$upstreams" "$splits" "$cookies" "$user_line" "$listen" "$per_ip" <<'PY'
import sys
prefix, port, upstreams, splits, cookies, user_line, listen, per_ip = sys.argv[1:]
text = open("deploy/nginx.conf.template").read()
text = text.replace("@PREFIX@", prefix).replace("@PORT@", port).replace("@USER@", user_line)
text = text.replace("@LISTEN@", listen).replace("@PER_IP@", per_ip)
text = text.replace("@UPSTREAMS@", upstreams.rstrip()).replace("@SPLITS@", splits.rstrip())
text = text.replace("@COOKIES@", cookies.rstrip())
open(f"{prefix}/nginx.conf", "w").write(text)
PY
nginx -t -q -c "$prefix/nginx.conf" -p "$prefix" || { echo "run_cluster.sh: nginx rejected $prefix/nginx.conf" >&2; exit 1; }

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
here=${listen/0.0.0.0/127.0.0.1}; here=${here/\[::\]/[::1]}
for _ in $(seq 1 40); do healthy "http://$here:$port/_stcore/health" && break; sleep 0.25; done
echo "twolayer: $processes processes behind nginx at http://$here:$port/ (listening on $listen; logs in $prefix)"
wait
