"""What reaches a Chromium page, recorded over the Chrome DevTools Protocol: the benchmarks' shared probes."""

from __future__ import annotations

import base64
import time


def record_websocket(
    cdp, frames: list[tuple[float, int, bool]], marker: bytes = b"appkit.stage", raw: list[bytes] | None = None
) -> None:
    """Appends (time, bytes, whether it carries `marker`) to `frames` for every websocket frame the page receives,
    and with `raw` the frame's bytes to that list."""
    cdp.send("Network.enable")

    def on_frame(event) -> None:
        data = event["response"]["payloadData"]
        payload = base64.b64decode(data) if event["response"]["opcode"] == 2 else data.encode()
        frames.append((time.perf_counter(), len(payload), marker in payload))
        if raw is not None:
            raw.append(payload)

    cdp.on("Network.webSocketFrameReceived", on_frame)


def script_runs(messages: list[bytes]) -> list[tuple[int, set[str]]]:
    """Streamlit's websocket messages grouped by script run (each run starts with a new_session message): for
    each run its bytes and the kinds of message it sent ("delta:new_element:button", "new_session", ...)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    runs: list[tuple[int, set[str]]] = []
    for payload in messages:
        message = ForwardMsg()
        message.ParseFromString(payload)
        kind = message.WhichOneof("type")
        if kind == "delta":
            delta = message.delta.WhichOneof("type")
            kind = f"delta:{delta}:{getattr(message.delta, delta).WhichOneof('type')}"
        if kind == "new_session" or not runs:
            runs.append((0, set()))
        size, kinds = runs[-1]
        runs[-1] = (size + len(payload), kinds | {kind})
    return runs


def record_paints(cdp, times: list[float], max_width: int | None = None) -> None:
    """Appends the time of every frame the compositor paints (`Page.startScreencast`: one event per painted
    frame) to `times`, until `cdp.send("Page.stopScreencast")`."""

    def on_paint(event) -> None:
        times.append(time.perf_counter())
        cdp.send("Page.screencastFrameAck", {"sessionId": event["sessionId"]})

    cdp.on("Page.screencastFrame", on_paint)
    size = {"maxWidth": max_width, "maxHeight": max_width} if max_width else {}
    cdp.send("Page.startScreencast", {"format": "jpeg", "quality": 20, "everyNthFrame": 1, **size})
