"""The API's body parsers, and the reasons an upload's files can go missing before any view
sees them."""

from __future__ import annotations

import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, but a body nested too deeply for the decoder (RecursionError,
    not a ValueError) is a 400 like any other malformed JSON, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None


CHUNKED = (
    "The upload came in chunks (Transfer-Encoding: chunked) with no Content-Length, and the "
    "server reads a form only with its length, so it saw no files. Send it with a length: "
    "curl -F does, unless you add 'Transfer-Encoding: chunked'."
)


def sent_chunked(request) -> bool:
    """A body without a length: Django then parses the form as empty."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked and not request.META.get("CONTENT_LENGTH")


def unreadable_part_message(field: str) -> str:
    name = "model.onnx" if field == "onnx" else "model_metadata.json" if field == "metadata" else "file"
    return (
        f"The `{field}` part of the upload has headers that are not UTF-8 (most likely its file "
        "name has characters in another encoding), so the server could not read it. Rename "
        "the file to plain letters, or give it a name when you send it: "
        f"curl -F '{field}=@yourfile;filename={name}'."
    )


class _HeaderScan:
    """Reads through a multipart body as Django's parser reads it, and notes the parts
    whose headers are not UTF-8: Django skips those headers, so the part (a file whose
    name is Latin-1, say) silently vanishes and the view would only see it missing."""

    KEEP = 16384  # longest header block looked at, and overlap between reads

    def __init__(self, stream, boundary: bytes):
        self.stream = stream
        self.marker = b"--" + boundary
        self.tail = b""
        self.unreadable: list[str] = []

    def read(self, *args):
        data = self.stream.read(*args)
        self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        buffer = self.tail + data
        done = 0  # where the next header block may start
        while (at := buffer.find(self.marker, done)) >= 0:
            end = buffer.find(b"\r\n\r\n", at)
            if end < 0:
                if len(buffer) - at > self.KEEP:  # no header block: part of a file
                    done = at + len(self.marker)
                    continue
                done = at
                break
            header = buffer[at + len(self.marker) : end]
            try:
                header.decode("utf-8")
            except UnicodeDecodeError:
                name = re.search(rb'name="([^"]*)"', header)
                self.unreadable.append(name.group(1).decode("ascii", "replace") if name else "")
            done = end + 4
        else:
            done = max(done, len(buffer) - len(self.marker))
        self.tail = buffer[done:][-self.KEEP :]


class UploadParser(MultiPartParser):
    """DRF's multipart parser that tells the view which parts it could not read
    (`request.unreadable_parts`, field names)."""

    def parse(self, stream, media_type=None, parser_context=None):
        boundary = re.search(r'boundary="?([^";]+)"?', media_type or "")
        if stream is None or boundary is None:
            return super().parse(stream, media_type, parser_context)
        scan = _HeaderScan(stream, boundary.group(1).encode("latin-1"))
        try:
            return super().parse(scan, media_type, parser_context)
        finally:
            (parser_context or {})["request"].unreadable_parts = scan.unreadable


def missing_file_reason(request, field: str) -> str | None:
    """Why an upload's `field` file is missing when the client did send something."""
    if sent_chunked(request):
        return CHUNKED
    if field in getattr(request, "unreadable_parts", ()):
        return unreadable_part_message(field)
    return None
