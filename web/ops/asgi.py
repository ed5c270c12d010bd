"""Counts the websocket clients of this web process (the `league_websocket_clients` gauge
of web/ops/metrics.py), around the whole websocket stack in config/asgi.py: a client
counts from the moment its socket is accepted until the connection ends, however it ends."""

from __future__ import annotations

from .metrics import WEBSOCKET_CLIENTS

# The streams of live/routing.py, by the first part of their path; anything else is one label.
STREAMS = {"races", "seasons", "submissions"}


def stream_of(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "ws" and parts[1] in STREAMS else "other"


class WebsocketClientCounter:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        gauge = WEBSOCKET_CLIENTS.labels(stream=stream_of(scope.get("path", "")))
        accepted = False

        async def counting_send(message):
            nonlocal accepted
            if message.get("type") == "websocket.accept" and not accepted:
                accepted = True
                gauge.inc()
            await send(message)

        try:
            return await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                gauge.dec()
