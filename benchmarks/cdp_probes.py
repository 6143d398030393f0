"""What reaches a Chromium page, recorded over the Chrome DevTools Protocol: the benchmarks' shared probes."""

from __future__ import annotations

import base64
import time


def record_websocket(cdp, frames: list[tuple[float, int, bool]], marker: bytes = b"appkit.stage") -> None:
    """Appends (time, bytes, whether it carries `marker`) to `frames` for every websocket frame the page receives."""
    cdp.send("Network.enable")

    def on_frame(event) -> None:
        data = event["response"]["payloadData"]
        raw = base64.b64decode(data) if event["response"]["opcode"] == 2 else data.encode()
        frames.append((time.perf_counter(), len(raw), marker in raw))

    cdp.on("Network.webSocketFrameReceived", on_frame)


def record_paints(cdp, times: list[float], max_width: int | None = None) -> None:
    """Appends the time of every frame the compositor paints (`Page.startScreencast`: one event per painted
    frame) to `times`, until `cdp.send("Page.stopScreencast")`."""

    def on_paint(event) -> None:
        times.append(time.perf_counter())
        cdp.send("Page.screencastFrameAck", {"sessionId": event["sessionId"]})

    cdp.on("Page.screencastFrame", on_paint)
    size = {"maxWidth": max_width, "maxHeight": max_width} if max_width else {}
    cdp.send("Page.startScreencast", {"format": "jpeg", "quality": 20, "everyNthFrame": 1, **size})
