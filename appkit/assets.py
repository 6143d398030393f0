"""The browser files the app serves itself (nothing loads from the internet): appkit/stage/ holds the stage's
JavaScript and the vendored plotly.js bundle, served by a `components.v1.declare_component(path=...)`."""

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import streamlit.components.v1 as components_v1

ASSETS = Path(__file__).with_name("stage")  # appkit/stage/
PLOTLY_FILE = "plotly-basic.min.js"  # official plotly.js-basic-dist-min, pinned (stage/VENDORED.md)
FAVICON = ASSETS / "favicon.png"  # the page's icon, served by Streamlit itself (not from a font server)
_CSS_HEIGHT = re.compile(r"[a-z0-9.,()+\- ]{1,120}")  # e.g. "max(320px, min(900px, calc(100vh - 330px)))"


@functools.cache
def _asset_version() -> str:
    """A hash of the served files: a new version gets new URLs, so no browser keeps a stale copy."""
    digest = hashlib.sha256()
    for name in ("stage.js", "netmath.js", "live_chart.js", "payload.js", "metric_strip.js", PLOTLY_FILE):
        digest.update((ASSETS / name).read_bytes())
    return digest.hexdigest()[:12]


def asset_url(name: str) -> str:
    """The URL path at which the browser fetches appkit/stage/<name> (e.g. the plotly bundle)."""
    assets = components_v1.declare_component("stage_assets", path=str(ASSETS))  # idempotent, cheap
    base = st.get_option("server.baseUrlPath").strip("/")
    prefix = f"/{base}" if base else ""
    return f"{prefix}/component/{assets.name}/{name}?v={_asset_version()}"


def css_height(height: int | str) -> int | str:
    """Pixels, or a CSS length from the app's own code (so the charts can follow the viewport's height)."""
    if isinstance(height, int) and not isinstance(height, bool) and height > 0:
        return height
    if isinstance(height, str) and _CSS_HEIGHT.fullmatch(height):
        return height
    raise ValueError(f"height must be a positive int (pixels) or a CSS length, got {height!r:.60}")


# The js of the app's custom components (the stage and the live chart): Streamlit sends a component's js with
# every update, so it is only this loader; the code is an ES module from appkit/stage/ (the header's "m"),
# fetched once and cached by the browser. Each module exports render(component, head, bytes) and unmounted(key).
MODULE_LOADER = (  # kept short: it goes out with every update. A newline marks it as code, not a file path
    "const M=window.__appkitStageModules??=new Map;\n"
    "export default function(c){"
    "const u=new Uint8Array(c.data),n=new DataView(u.buffer).getUint32(0,1),"
    "h=JSON.parse(new TextDecoder().decode(u.subarray(4,4+n)));h.n=n;"
    "M.has(h.m)||M.set(h.m,import(new URL(h.m,location.href).href).catch(e=>{M.delete(h.m);throw e}));"
    "const m=M.get(h.m);"
    "m.then(x=>x.render(c,h,u)).catch(e=>console.warn('appkit:',e));"
    "return()=>m.then(x=>x.unmounted(h.k)).catch(()=>{})}"
)


def encode(head: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """[uint32 LE header length][header JSON][padding to 8][arrays, each 8-aligned]; the header's "b"
    lists each array as name: [dtype, byte offset, length]."""
    kinds = {np.dtype(np.float64): "f8", np.dtype(np.float32): "f4", np.dtype(np.uint8): "u1", np.dtype(np.int32): "i4"}
    table, chunks, offset = {}, [], 0
    for name, array in arrays.items():
        a = np.ascontiguousarray(array)
        data = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        table[name] = [kinds[a.dtype], offset, int(a.size)]
        chunks.append(data + b"\0" * (-len(data) % 8))
        offset += len(chunks[-1])
    header = json.dumps({**head, "b": table}, separators=(",", ":")).encode()
    start = 4 + len(header)
    return len(header).to_bytes(4, "little") + header + b"\0" * (-start % 8) + b"".join(chunks)


def decode(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """`encode`'s inverse, as stage.js reads an update: (header, arrays by name)."""
    n = int.from_bytes(data[:4], "little")
    head = json.loads(data[4 : 4 + n])
    start = -(-(4 + n) // 8) * 8  # the arrays start 8-aligned
    kinds = {"f8": "<f8", "f4": "<f4", "u1": "u1", "i4": "<i4"}
    arrays = {
        name: np.frombuffer(data, dtype=kinds[kind], count=length, offset=start + offset)
        for name, (kind, offset, length) in head["b"].items()
    }
    return head, arrays
