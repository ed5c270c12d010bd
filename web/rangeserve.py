"""Stored files handed to a client whom a view has already let see them: from object
storage as a redirect to a short-lived signed link (the store then serves the bytes and
their ranges itself, and no web process streams videos), from the local folder as a
response with HTTP byte ranges (RFC 9110), so that browsers can seek in a video either way."""

from __future__ import annotations

import re
import zlib

from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import http_date


_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """`Range: bytes=a-b` -> (first, last) inclusive; None when there is no byte range
    to honour (no header, another unit, or several ranges: the whole file is sent).
    Raises RangeNotSatisfiable for a byte range that is malformed or outside the file."""
    header = (header or "").strip()
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    if "," in spec:
        return None  # multipart ranges are not served; the full body is a valid answer
    m = _RANGE_RE.match("bytes=" + spec.strip())
    if not m:
        raise RangeNotSatisfiable(header)
    first, last = m.groups()
    if first == "" and last == "":
        raise RangeNotSatisfiable(header)
    if first == "":
        # Suffix: the last N bytes.
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - n), size - 1
    a = int(first)
    b = int(last) if last != "" else size - 1
    if a >= size or b < a:
        raise RangeNotSatisfiable(header)
    return a, min(b, size - 1)


def _iter_file(fh, first: int, length: int, chunk: int = 1 << 16):
    try:
        fh.seek(first)
        left = length
        while left > 0:
            data = fh.read(min(chunk, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        fh.close()


def ranged_file_response(request, fieldfile, content_type: str, filename: str | None = None,
                         attachment: bool = False, max_age_s: int = 3600) -> HttpResponse:
    """Serve a stored file with byte ranges: 200 (whole file, `Accept-Ranges: bytes`),
    206 with `Content-Range` for `Range: bytes=a-b`, 416 for a range outside the file."""
    storage = fieldfile.storage
    name = fieldfile.name
    size = storage.size(name)
    try:
        modified = storage.get_modified_time(name)
        last_modified = http_date(modified.timestamp())
    except (NotImplementedError, AttributeError, OSError):
        modified, last_modified = None, None
    stamp = int(modified.timestamp()) if modified else 0
    etag = f'"{size:x}-{stamp:x}-{zlib.crc32(name.encode()):x}"'
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": f"public, max-age={max_age_s}"}
    if last_modified:
        headers["Last-Modified"] = last_modified
    if filename:
        headers["Content-Disposition"] = _disposition(filename, attachment)

    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        for k, v in headers.items():
            response[k] = v
        return response

    range_header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if if_range and if_range not in (etag, last_modified):
        range_header = ""  # the file changed since the client's copy: send it whole
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416, content_type="text/plain")
        response.content = f"Requested range not satisfiable; the file has {size} bytes.\n".encode()
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response

    if request.method == "HEAD":
        response = HttpResponse(status=200 if byte_range is None else 206, content_type=content_type)
        length = size if byte_range is None else byte_range[1] - byte_range[0] + 1
        if byte_range is not None:
            response["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{size}"
        for k, v in headers.items():
            response[k] = v
        response["Content-Length"] = str(length)
        return response

    fh = storage.open(name, "rb")
    if byte_range is None:
        response = FileResponse(fh, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = byte_range
        length = last - first + 1
        response = StreamingHttpResponse(_iter_file(fh, first, length), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(length)
    for k, v in headers.items():
        response[k] = v
    return response


def _disposition(filename: str, attachment: bool) -> str:
    return f'{"attachment" if attachment else "inline"}; filename="{filename}"'


def signed_url(storage, name: str, content_type: str, filename: str | None = None,
               attachment: bool = False) -> str | None:
    """A link straight to the stored object that works for a few minutes (the storage's
    `querystring_expire`: STORAGE_URL's signed_url_s), when the storage hands such links out
    (S3-compatible object storage); None for the local folder, whose files only our views
    serve. The link carries the content type and file name the view would have sent."""
    if not getattr(storage, "querystring_auth", False):
        return None
    parameters = {"ResponseContentType": content_type}
    if filename:
        parameters["ResponseContentDisposition"] = _disposition(filename, attachment)
    return storage.url(name, parameters=parameters)


def signed_redirect(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    # The link expires and is the viewer's own: nobody may keep the redirect.
    response["Cache-Control"] = "private, no-store"
    return response


def stored_file_response(request, fieldfile, content_type: str, filename: str | None = None,
                         attachment: bool = False, max_age_s: int = 3600) -> HttpResponse:
    """The stored file for a client the view has let see it: a 302 to a signed link from
    object storage, else `ranged_file_response`. Call it only after the visibility check:
    a link, once signed, opens the file to whoever holds it until it expires."""
    url = signed_url(fieldfile.storage, fieldfile.name, content_type, filename, attachment)
    if url:
        return signed_redirect(url)
    return ranged_file_response(request, fieldfile, content_type, filename, attachment, max_age_s)
