"""Refuse an upload far over the model size cap from its Content-Length, before anything
reads the body.

Django spools multipart files to disk whatever their size (DATA_UPLOAD_MAX_MEMORY_SIZE
does not count files), and CsrfViewMiddleware parses a form POST before the view runs,
so a check in the view comes too late for the pages' upload form. Other bodies are
already capped by DATA_UPLOAD_MAX_MEMORY_SIZE. (Under ASGI, Django has read the body
before this runs: web/asgi_limits.py refuses it earlier, before it is read at all.)
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from simulator.formatting import format_size


# What a multipart form adds to its files: boundaries, part headers, the other fields.
FORM_OVERHEAD_BYTES = 65536


def upload_limit_bytes() -> int:
    """The largest request body an upload may have: both files (or a console export
    archive) plus the form's overhead."""
    racing = settings.RACING
    files = max(int(racing["MAX_MODEL_BYTES"]) + int(racing["MAX_METADATA_BYTES"]), int(racing["MAX_ARCHIVE_BYTES"]))
    return files + FORM_OVERHEAD_BYTES


def upload_too_large_message() -> str:
    limit = format_size(int(settings.RACING["MAX_MODEL_BYTES"]))
    return f"The upload is larger than the {limit} limit; use a smaller network."


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("CONTENT_TYPE", "").startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > upload_limit_bytes():
                message = upload_too_large_message()
                if request.path.startswith("/api/"):
                    return JsonResponse({"onnx": [message]}, status=400)
                return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
