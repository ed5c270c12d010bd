"""The operator's endpoints: /healthz (the process answers), /readyz (it can serve: the
database, queue, storage and workers are there) and /metrics (Prometheus).

Probes carry no session and no token: these views skip authentication altogether, so a
probe costs no session lookup, and its answer never depends on who asks, except /metrics,
which only the operator's scraper may read (`metrics_refusal`)."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from rest_framework import permissions
from rest_framework.views import APIView

from web.clients import client_ip

from . import metrics  # noqa: F401  (registers the league's collector with REGISTRY)
from .readiness import readiness

RETRY_AFTER_S = 10
_NO_STORE = "no-store"
_DETAIL = OpenApiResponse(
    OpenApiTypes.OBJECT, description="`detail`: why the metrics are refused, and what to set to read them."
)


def metrics_refusal(request) -> str | None:
    """Why this request may not read the metrics, in a sentence that names the fix; None
    if it may. With METRICS_TOKEN, only its bearer may; otherwise only a client from
    METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return "The metrics need `Authorization: Bearer <METRICS_TOKEN>`: send the token set on the server."
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        address = None
    if address is not None and any(address in net for net in settings.METRICS_ALLOWED_NETWORKS):
        return None
    return (
        "The metrics are served to the league's own networks only: set METRICS_TOKEN on the server "
        "and scrape with `Authorization: Bearer <token>`, or add the scraper's network to "
        "METRICS_ALLOWED_NETWORKS."
    )


class _OpsView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


class HealthView(_OpsView):
    @extend_schema(
        operation_id="healthz",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description='`{"status": "ok"}`: the process answers.')},
        tags=["operations"],
        description="Liveness: answers as long as the web process runs, without touching anything else.",
    )
    def get(self, request):
        response = JsonResponse({"status": "ok"})
        response["Cache-Control"] = _NO_STORE
        return response


class ReadyView(_OpsView):
    @extend_schema(
        operation_id="readyz",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='`{"ready": true, "checks": {name: {"ok", "detail"}}}`: the database, the task '
                "queue and the media storage answer, and a race worker (and a video worker, when videos "
                "are rendered) was seen in the last minute.",
            ),
            503: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='`{"ready": false, "not_ready": [names], "checks": {name: {"ok", "detail", '
                '"fix"}}}`: each failed check says what is wrong and how to fix it.',
            ),
        },
        tags=["operations"],
        description="Readiness: whether this web process can serve the league now.",
    )
    def get(self, request):
        checks = readiness()
        failed = [check.name for check in checks if not check.ok]
        body = {"ready": not failed, "checks": {check.name: check.as_dict() for check in checks}}
        if failed:
            body["not_ready"] = failed
        response = JsonResponse(body, status=503 if failed else 200)
        response["Cache-Control"] = _NO_STORE
        if failed:
            response["Retry-After"] = str(RETRY_AFTER_S)
            # Probed every few seconds: the answer says what is wrong (and the checks log
            # their errors); Django's "Service Unavailable" line on each probe says nothing.
            response._has_been_logged = True
        return response


class MetricsView(_OpsView):
    @extend_schema(
        operation_id="metrics",
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Prometheus text format: league_queue_depth{queue}, league_submissions{status}, "
                "league_races_per_minute, league_videos_per_minute, league_races_total, "
                "league_race_duration_seconds and league_submit_to_result_seconds (histograms), "
                "league_failures_total{kind}, league_workers_alive{queue}, "
                "league_websocket_clients{stream} (this process), and the process's own figures.",
            ),
            403: _DETAIL,
        },
        tags=["operations"],
        description="For the operator's Prometheus: with METRICS_TOKEN set, only with `Authorization: "
        "Bearer <token>`; without it, only from METRICS_ALLOWED_NETWORKS (loopback and private "
        "networks by default).",
    )
    def get(self, request):
        refusal = metrics_refusal(request)
        if refusal:
            return JsonResponse({"detail": refusal}, status=403)
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        response = HttpResponse(encoder(REGISTRY), content_type=content_type)
        response["Cache-Control"] = _NO_STORE
        return response
