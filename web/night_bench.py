"""The race-night load test (timings live here, never in tests): `viewers` websockets on
one web process (uvicorn, as `make serve` runs it) follow a live run of the STATE house
driver; each frame's delay from when the worker produced it (`sent_at`) to when a viewer
received it, p50/p99/max, and how many frames each viewer got.

The driver runs in this process (as a worker would), its frames travel through the
configured transport: the database event log without Redis (each web process reads it
every LIVE_POLL_INTERVAL_S, every 40 ms while frames flow: live/relay.py), channels-redis
with REDIS_URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.db import connection

from league.models import Racer
from league.services import racer_signup, season_create, season_open
from nights import control
from nights.queue import queue_join
from nights.worker import night_drive
from racing.uploads import model_upload
from simulator.drivers import house_drivers
from tracks.models import Track
from tracks.services import tracks_load_shipped

from .bench import percentile


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _web_env(poll_interval_s: float) -> dict:
    env = dict(os.environ)
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env.update({"MEDIA_ROOT": str(settings.MEDIA_ROOT), "PYTHONPATH": str(settings.BASE_DIR),
                "LIVE_POLL_INTERVAL_S": str(poll_interval_s), "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    return env


def _night(laps: int):
    if not Track.objects.filter(slug="oval-loop").exists():
        tracks_load_shipped()
    season = season_create(slug=f"night-bench-{int(time.time())}", name="Night bench",
                           tracks=[Track.objects.get(slug="oval-loop")], laps=laps)
    season = season_open(season)
    race = season.races.select_related("track").get()
    control.live_settings_set(race, mode="live", countdown_s=0)
    driver = next(d for d in house_drivers() if d.metadata["sensor"] == ["STATE"])
    alias = f"NightBench{int(time.time())}"
    racer = racer_signup(username=alias.lower(), password="bench-Passw0rd!", alias=alias)
    model = model_upload(owner=racer, name=driver.name, onnx_file=driver.model.SerializeToString(),
                         metadata_file=json.dumps(driver.metadata).encode())
    queue_join(race=race, racer=Racer.objects.get(pk=racer.pk), model=model)
    return race


async def _viewers(url: str, origin: str, viewers: int, started: threading.Event, done: threading.Event) -> dict:
    from websockets.asyncio.client import connect  # the load test's client only

    delays: list[float] = []
    frames = [0] * viewers
    opened = 0

    async def view(k: int) -> None:
        nonlocal opened
        async with connect(url, origin=origin, open_timeout=60, max_queue=None) as ws:
            opened += 1
            while not done.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 1.0)
                except asyncio.TimeoutError:
                    continue
                received = time.time()
                # Cheap on purpose: the 500 viewers share this one process, and a full
                # parse of every frame would measure the client more than the server.
                if raw.startswith('{"type":"frame"'):
                    at = raw.rfind('"sent_at":')
                    frames[k] += 1
                    delays.append((received - float(raw[at + 10:].split(",", 1)[0].rstrip("}"))) * 1000)
                elif raw.startswith('{"type":"run_finished"'):
                    return

    async def opener():
        tasks = []
        for k in range(viewers):
            tasks.append(asyncio.create_task(view(k)))
            if k % 50 == 49:
                await asyncio.sleep(0.2)  # a crowd arriving, not a single burst
        while opened < viewers and not any(t.done() and t.exception() for t in tasks):
            await asyncio.sleep(0.1)
        started.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return [r for r in results if isinstance(r, Exception)]

    errors = await opener()
    return {"delays": delays, "frames": frames, "errors": [repr(e) for e in errors[:5]], "failed": len(errors)}


def bench_night(*, viewers: int = 500, laps: int = 1, poll_interval_s: float = 0.25, log=print) -> dict:
    race = _night(laps)
    port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--lifespan", "off", "--no-access-log", "--log-level", "warning"],
        cwd=settings.BASE_DIR, env=_web_env(poll_interval_s), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started, done = threading.Event(), threading.Event()
    outcome: dict = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    raise RuntimeError("the web process did not start")
                time.sleep(0.2)
        url, origin = f"ws://127.0.0.1:{port}/ws/live/{race.pk}/", f"http://127.0.0.1:{port}"
        thread = threading.Thread(target=lambda: outcome.update(asyncio.run(
            _viewers(url, origin, viewers, started, done))), daemon=True)
        thread.start()
        if not started.wait(180):
            raise RuntimeError("the viewers could not all connect")
        log(f"{viewers} viewers connected; racing")
        control.night_start(race.live)  # its queued task is left unclaimed: this process drives
        log(f"night: {night_drive(race.pk)}")
        time.sleep(2.0)  # the last frames on their way
        done.set()
        thread.join(60)
    finally:
        done.set()
        web.terminate()
        try:
            web.wait(20)
        except subprocess.TimeoutExpired:
            web.kill()
    delays = outcome.get("delays") or [float("nan")]
    frames = outcome.get("frames") or [0]
    return {
        "viewers": viewers, "transport": "channel_layer" if os.environ.get("REDIS_URL") else "database",
        "poll_interval_s": poll_interval_s, "frames_per_viewer_min": min(frames),
        "frames_per_viewer_max": max(frames), "frames_delivered": len(outcome.get("delays") or []),
        "latency_p50_ms": round(percentile(delays, 50), 1), "latency_p99_ms": round(percentile(delays, 99), 1),
        "latency_max_ms": round(max(delays), 1), "viewers_failed": outcome.get("failed", 0),
        "errors": outcome.get("errors", []),
    }
