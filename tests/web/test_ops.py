"""The operator's endpoints (web/ops): /healthz, /readyz naming what is not ready and how to
fix it, /metrics read from the database and refused to outsiders, the websocket client
count, and their place in the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from racing import beats, worker
from racing.models import Result, Submission
from tests import factories as f
from tests.live_support import record_result, submit

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_runs(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert resp["Cache-Control"] == "no-store"


def test_readyz_names_what_is_not_ready_and_how_to_fix_it(client, settings):
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp["Retry-After"]
    body = resp.json()
    assert body["ready"] is False and body["not_ready"] == ["race_workers", "video_workers"]
    assert body["checks"]["database"]["ok"] and body["checks"]["queue"]["ok"] and body["checks"]["storage"]["ok"]
    assert "db_worker" in body["checks"]["race_workers"]["fix"]
    assert "--queue-name videos" in body["checks"]["video_workers"]["fix"]

    beats.worker_beat("default")
    settings.RACING = {**settings.RACING, "VIDEOS": False}  # no videos: no video worker needed
    assert client.get("/readyz").status_code == 200
    settings.RACING = {**settings.RACING, "VIDEOS": True}
    assert client.get("/readyz").json()["not_ready"] == ["video_workers"]
    beats.worker_beat("default,videos")  # one worker of both queues will do
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.json()["ready"] is True and "Retry-After" not in resp


def test_readyz_reports_a_media_folder_it_cannot_write(client, settings, tmp_path):
    beats.worker_beat("*")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = str(blocker / "media")
    body = client.get("/readyz").json()
    assert body["not_ready"] == ["storage"] and "MEDIA_ROOT" in body["checks"]["storage"]["fix"]


def metrics(client, **headers) -> dict:
    resp = client.get("/metrics", **headers)
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(resp.content.decode())}


def samples(family, suffix: str = "") -> dict:
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples if s.name == family.name + suffix}


def _times(submission: Submission, waited_s: float, raced_s: float) -> None:
    end = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(
        created_at=end - timedelta(seconds=waited_s + raced_s),
        started_at=end - timedelta(seconds=raced_s),
        finished_at=end,
    )


def test_metrics_are_read_from_the_database(client):
    race = f.race()
    fast = record_result(f.racer(), race, 20.0)
    slow = record_result(f.racer(), race, 30.0)
    _times(fast.submission, waited_s=4, raced_s=1.5)  # 5.5 s from submit to result
    _times(slow.submission, waited_s=100, raced_s=15)  # 115 s
    Result.objects.filter(pk=slow.pk).update(video_status=Result.VideoStatus.FAILED)
    crashed = submit(f.racer(), race)
    worker.submission_fail(worker.submission_claim(crashed.pk), "NaN in the policy's output",
                           failure={"kind": "nan"})  # fmt: skip
    errored = submit(f.racer(), race)
    Submission.objects.filter(pk=errored.pk).update(status=Submission.Status.ERROR)
    submit(f.racer(), race)  # waiting in the queue
    beats.worker_beat("default")

    m = metrics(client)
    # Every submission queued its race task, and no worker took one here.
    assert samples(m["league_queue_depth"]) == {(("queue", "default"),): 5.0, (("queue", "videos"),): 0.0}
    status = {labels[0][1]: v for labels, v in samples(m["league_submissions"]).items()}
    assert status == {"queued": 1.0, "running": 0.0, "finished": 2.0, "failed": 1.0, "error": 1.0}
    assert samples(m["league_races_per_minute"])[()] == 2.0
    assert samples(m["league_races"], "_total")[()] == 2.0

    race_s = samples(m["league_race_duration_seconds"], "_bucket")
    assert race_s[(("le", "1.0"),)] == 0 and race_s[(("le", "2.0"),)] == 1 and race_s[(("le", "10.0"),)] == 1
    assert race_s[(("le", "20.0"),)] == 2 and race_s[(("le", "+Inf"),)] == 2
    assert samples(m["league_race_duration_seconds"], "_count")[()] == 2
    assert samples(m["league_race_duration_seconds"], "_sum")[()] == pytest.approx(16.5, abs=0.01)
    submit_s = samples(m["league_submit_to_result_seconds"], "_bucket")
    assert submit_s[(("le", "5.0"),)] == 0 and submit_s[(("le", "10.0"),)] == 1
    assert submit_s[(("le", "60.0"),)] == 1 and submit_s[(("le", "120.0"),)] == 2

    failures = {labels[0][1]: v for labels, v in samples(m["league_failures"], "_total").items()}
    assert failures == {"nan": 1.0, "platform": 1.0, "video": 1.0}
    assert samples(m["league_workers_alive"]) == {(("queue", "default"),): 1.0, (("queue", "videos"),): 0.0}
    assert "process_resident_memory_bytes" in m  # the process's own figures too


def test_metrics_only_for_the_league_networks_without_a_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "METRICS_TOKEN" in detail and "METRICS_ALLOWED_NETWORKS" in detail
    # Behind a trusted proxy, the client is the address the proxy saw, not the proxy.
    settings.TRUSTED_PROXIES = 1
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.status_code == 403


def test_metrics_with_a_token_need_its_bearer_wherever_they_are(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": "Token s3cret-scrape-token"}):
        resp = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **headers)
        assert resp.status_code == 403 and "Authorization: Bearer" in resp.json()["detail"], headers
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert ok.status_code == 200 and b"league_queue_depth" in ok.content


def _websocket_clients(stream: str) -> float:
    from web.ops.metrics import WEBSOCKET_CLIENTS  # the process's own gauge

    return WEBSOCKET_CLIENTS.labels(stream=stream)._value.get()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_websocket_clients_are_counted_while_connected(settings):
    from config.asgi import application  # the whole stack, as uvicorn serves it

    settings.LIVE_TRANSPORT = "database"
    settings.LIVE_POLL_INTERVAL_S = 0.05
    race = await sync_to_async(f.race)()
    before = _websocket_clients("races")
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    socket = WebsocketCommunicator(application, f"/ws/races/{race.pk}/", headers=headers)
    assert (await socket.connect())[0]
    assert _websocket_clients("races") == before + 1
    await socket.disconnect()
    assert _websocket_clients("races") == before

    refused = WebsocketCommunicator(application, f"/ws/races/{race.pk}/",
                                    headers=[(b"origin", b"http://evil.example"), (b"host", b"localhost")])  # fmt: skip
    assert not (await refused.connect())[0]
    assert _websocket_clients("races") == before  # never accepted, never counted


def test_the_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert set(paths["/healthz"]["get"]["responses"]) == {"200"}
    assert set(paths["/readyz"]["get"]["responses"]) == {"200", "503"}
    assert "Retry-After" in paths["/readyz"]["get"]["responses"]["503"]["headers"]
    assert set(paths["/metrics"]["get"]["responses"]) == {"200", "403"}
