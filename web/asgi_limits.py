"""Request bodies over their limit refused before they are read: an ASGI middleware around
the whole league (config/asgi.py), so it holds under any ASGI server.

Django reads the whole body (spooling it to a temporary file) before any middleware or view
runs, so the view's own size checks come after the upload has been taken in. This one
answers 413 from the headers when Content-Length is over the limit, never reading the body,
and counts the bytes of a body without a length (chunked) as they arrive, answering 413
and dropping the request the moment they pass it. With a server that hands the body over
as it streams (uvicorn does; Daphne buffers it all in memory first, which is why `make
serve` and the documented production command use uvicorn), a huge body costs the server
nothing but the bytes of one read.

Limits: a multipart upload to a view that takes files may be as large as that upload's
limit (a model package: web.middleware.upload_limit_bytes(); a track file: its cap; the
admin's forms: a model package's); every other body as large as
DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own cap on form and JSON data.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import Resolver404, resolve

from simulator.formatting import format_size
from tracks.services import MAX_TRACK_BYTES

from .middleware import FORM_OVERHEAD_BYTES, upload_limit_bytes, upload_too_large_message

# URL names of the views that take uploaded files, and how large their bodies may be.
UPLOAD_VIEWS = {
    "api-models": upload_limit_bytes,
    "garage": upload_limit_bytes,
    "api-tracks": lambda: MAX_TRACK_BYTES + FORM_OVERHEAD_BYTES,
    "organise-track-upload": lambda: MAX_TRACK_BYTES + FORM_OVERHEAD_BYTES,
}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _upload_view_limit(path: str) -> int | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.url_name in UPLOAD_VIEWS:
        return UPLOAD_VIEWS[match.url_name]()
    if "admin" in match.namespaces:
        return upload_limit_bytes()
    return None


def body_limit(scope) -> int | None:
    """The most bytes this request's body may have (None: no limit)."""
    content_type = (_header(scope, b"content-type") or "").lower()
    if content_type.startswith("multipart/"):
        limit = _upload_view_limit(scope["path"])
        if limit is not None:
            return limit
    data_cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return None if data_cap is None else int(data_cap)


def _too_large(scope, limit: int) -> tuple[bytes, bytes]:
    """The 413's body and content type: JSON for the API, a sentence for a person."""
    if limit >= upload_limit_bytes():
        message = upload_too_large_message()
    else:
        message = f"The request is larger than the {format_size(limit)} this address accepts."
    if scope["path"].startswith("/api/"):
        return json.dumps({"detail": message}).encode(), b"application/json"
    return message.encode(), b"text/plain; charset=utf-8"


async def _refuse(scope, send, limit: int) -> None:
    body, content_type = _too_large(scope, limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = body_limit(scope)
        if limit is None:
            return await self.app(scope, receive, send)
        try:
            length = int(_header(scope, b"content-length") or -1)
        except ValueError:
            length = -1
        if length > limit:
            return await _refuse(scope, send, limit)
        if length >= 0:
            # The server delivers no more than Content-Length says.
            return await self.app(scope, receive, send)

        received = 0
        refused = False
        started = False

        async def counted_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(scope, send, limit)
                    # Django takes a disconnect as the client gone and answers nothing more.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # the 413 is the answer
            started = True
            await send(message)

        return await self.app(scope, counted_receive, guarded_send)
