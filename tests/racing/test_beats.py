"""Workers' signs of life (racing/beats.py): renewed in place, counted per queue while fresh,
forgotten when stale; a real `db_worker` shows itself at start and removes its row when it
stops cleanly."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from racing import beats
from racing.models import WorkerBeat
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db


def test_a_beat_is_renewed_in_place_and_removed_on_exit():
    beats.worker_beat("default")
    first = WorkerBeat.objects.get()
    assert first.name == beats.beat_name() and first.pid == os.getpid() and first.queue == "default"
    WorkerBeat.objects.update(seen_at=timezone.now() - timedelta(seconds=30))
    beats.worker_beat("default")
    renewed = WorkerBeat.objects.get()
    assert renewed.pk == first.pk and renewed.seen_at > timezone.now() - timedelta(seconds=10)
    assert renewed.started_at == first.started_at
    beats.worker_beat_remove()
    assert not WorkerBeat.objects.exists()


def _beat(name: str, queue: str, seen_s_ago: float) -> None:
    seen = timezone.now() - timedelta(seconds=seen_s_ago)
    WorkerBeat.objects.create(name=name, queue=queue, host="h", pid=1, started_at=seen, seen_at=seen)


def test_workers_alive_counts_fresh_beats_per_queue_they_serve():
    assert beats.workers_alive() == {"default": 0, "videos": 0}
    _beat("a:1", "default", 2)
    _beat("b:2", "*", 10)  # both queues
    _beat("c:3", "default,videos", 20)
    _beat("d:4", "videos", beats.ALIVE_WITHIN_S + 5)  # missed its beats: dead
    _beat("e:5", "no-such-queue", 1)
    assert beats.workers_alive() == {"default": 3, "videos": 2}


def test_rows_of_long_dead_workers_are_forgotten_when_a_worker_starts():
    _beat("gone:1", "default", beats.FORGET_AFTER_S + 60)
    _beat("stale:2", "default", beats.ALIVE_WITHIN_S + 60)
    beats.worker_beat("videos")
    assert set(WorkerBeat.objects.values_list("name", flat=True)) == {"stale:2", beats.beat_name()}


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_beats_from_its_start_and_removes_its_beat_when_stopped(start_worker):
    worker = start_worker("videos")
    beat = wait_for(lambda: WorkerBeat.objects.filter(pid=worker.proc.pid).first(), what="the worker's beat")
    assert beat.queue == "videos" and beats.workers_alive()["videos"] == 1
    wait_for(lambda: "Starting worker" in worker.output(), what="the worker to take Ctrl-C itself")
    worker.proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert worker.proc.wait(30) == 0, worker.output()
    assert not WorkerBeat.objects.filter(pid=worker.proc.pid).exists()
    assert "Traceback" not in worker.output()
