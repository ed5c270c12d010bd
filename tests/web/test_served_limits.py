"""The production server (uvicorn, as `make serve` runs it) against hostile clients: a
150 MB body is refused with 413 before it is read, with or without a Content-Length,
and the server's memory stays small; rotating X-Forwarded-For does not get around the
log-in lockout (uvicorn's own proxy-header handling is off)."""

from __future__ import annotations

import json
import select
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import factories as f
from tests.live_support import WebServer
from web.middleware import upload_limit_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

HUGE = 150 * 1024 * 1024
PIECE = b"\0" * 65536


def vm_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def post_streamed(port: int, path: str, total: int, *, chunked: bool, content_type: str) -> tuple[int, bytes, int]:
    """POST `total` zero bytes, made piece by piece (never held whole), until the server
    answers or closes; the status, the body and how many bytes went out."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    length = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{length}\r\n\r\n".encode()
    )
    sent = 0
    try:
        while sent < total and not select.select([sock], [], [], 0)[0]:
            piece = PIECE[: total - sent]
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
        if chunked and sent >= total:
            sock.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed while the client was still sending
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, sent


@pytest.fixture
def server(settings):
    web = WebServer(str(settings.MEDIA_ROOT), kind="uvicorn", LOGIN_FAILURE_LIMIT="3").start()
    yield web
    web.stop()


def test_a_150_mb_body_is_refused_unread_and_memory_stays_small(server, settings):
    pid = server.proc.pid
    post_streamed(server.port, "/", 10, chunked=False, content_type="text/plain")  # warm up
    before = vm_rss_bytes(pid)
    cases = [
        ("/", False, "multipart/form-data; boundary=x", settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        ("/", True, "application/octet-stream", settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        ("/api/models/", False, "multipart/form-data; boundary=x", upload_limit_bytes()),
        ("/api/models/", True, "multipart/form-data; boundary=x", upload_limit_bytes()),
    ]
    for path, chunked, content_type, limit in cases:
        status, body, sent = post_streamed(server.port, path, HUGE, chunked=chunked, content_type=content_type)
        assert status == 413, (path, chunked, body)
        # Refused from the header, or as soon as the count passed the limit (plus what
        # the sockets' buffers took in meanwhile), never after the whole body.
        assert sent < (limit if chunked else 0) + 16 * 1024 * 1024, (path, chunked, sent)
        if path.startswith("/api/"):
            assert "larger than the 50 MiB limit" in json.loads(body)["detail"]
        else:
            assert b"larger than the 2.5 MiB" in body
    grown = vm_rss_bytes(pid) - before
    assert grown < 3 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 16 * 1024 * 1024, grown
    assert server.proc.poll() is None


def test_rotating_forwarded_for_does_not_get_around_the_lockout(server):
    f.racer(username="ann")

    def token(password: str, i: int) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{server.url}/api/auth/token/",
            data=json.dumps({"username": "ann", "password": password}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"198.51.100.{i}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    codes = [token(f"guess-{i}", i)[0] for i in range(4)]
    assert codes == [400, 400, 429, 429]
    status, headers = token(f.PASSWORD, 77)
    assert status == 429 and int(headers["Retry-After"]) > 0
