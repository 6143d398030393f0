"""The browser files the app serves itself (nothing loads from the internet): appkit/stage/ holds the stage's
JavaScript and the vendored plotly.js bundle, served by a `components.v1.declare_component(path=...)`."""

import functools
import hashlib
import re
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components_v1

ASSETS = Path(__file__).with_name("stage")  # appkit/stage/
PLOTLY_FILE = "plotly-cartesian.min.js"  # official plotly.js-cartesian-dist-min, pinned (stage/VENDORED.md)
FAVICON = ASSETS / "favicon.png"  # the page's icon, served by Streamlit itself (not from a font server)
_CSS_HEIGHT = re.compile(r"[a-z0-9.,()+\- ]{1,120}")  # e.g. "max(320px, min(900px, calc(100vh - 330px)))"


@functools.cache
def _asset_version() -> str:
    """A hash of the served files: a new version gets new URLs, so no browser keeps a stale copy."""
    digest = hashlib.sha256()
    for name in ("stage.js", "netmath.js", PLOTLY_FILE):
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
