"""Prometheus metrics (prometheus-client) of the league, for /metrics.

The queue, the races, the videos and the workers' signs of life are read from the database
at scrape time (LeagueCollector): it is the one truth every web process and machine
shares, so any web process gives the same figures and none has to count events as they
pass. Only what belongs to one process is counted in it: the websocket clients it serves
(web/ops/asgi.py), with the process collector's CPU and memory.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client import REGISTRY, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from racing.beats import workers_alive
from racing.models import Result, Submission

# Seconds: a STATE model races a 3-lap trial in a second or two, a camera model in tens.
RACE_BUCKETS_S = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)
# From the upload to the result: the race plus its wait in the queue.
SUBMIT_BUCKETS_S = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")

WEBSOCKET_CLIENTS = Gauge(
    "league_websocket_clients",
    "Websocket clients connected to this web process, by stream.",
    ["stream"],
)


def _queues() -> list[str]:
    return list(settings.TASKS["default"].get("QUEUES") or ["default"])


def _histogram(name: str, documentation: str, rows, start: str, end: str, buckets) -> HistogramMetricFamily:
    """A histogram of `end - start` over `rows`, counted by the database in one query."""
    duration = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    rows = rows.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).annotate(d=duration)
    figures = rows.aggregate(
        total=Count("pk"),
        sum=Sum("d"),
        **{f"le{i}": Count("pk", filter=Q(d__lte=timedelta(seconds=b))) for i, b in enumerate(buckets)},
    )
    cumulative = [(str(float(b)), figures[f"le{i}"]) for i, b in enumerate(buckets)]
    cumulative.append(("+Inf", figures["total"]))
    total_s = figures["sum"].total_seconds() if figures["sum"] else 0.0
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], cumulative, sum_value=total_s)
    return family


class LeagueCollector(Collector):
    """The league's figures, read from the database on every scrape."""

    def describe(self):
        # What it yields, without a query: the registry asks on registration, at import.
        return [
            GaugeMetricFamily("league_queue_depth", "", labels=["queue"]),
            GaugeMetricFamily("league_submissions", "", labels=["status"]),
            GaugeMetricFamily("league_races_per_minute", ""),
            GaugeMetricFamily("league_videos_per_minute", ""),
            CounterMetricFamily("league_races", ""),
            HistogramMetricFamily("league_race_duration_seconds", ""),
            HistogramMetricFamily("league_submit_to_result_seconds", ""),
            CounterMetricFamily("league_failures", "", labels=["kind"]),
            GaugeMetricFamily("league_workers_alive", "", labels=["queue"]),
        ]

    def collect(self):
        now = timezone.now()
        minute_ago = now - timedelta(minutes=1)

        depth = dict.fromkeys(_queues(), 0)
        waiting = DBTaskResult.objects.filter(status="READY").values("queue_name").annotate(n=Count("pk"))
        for row in waiting:
            depth[row["queue_name"]] = row["n"]
        family = GaugeMetricFamily("league_queue_depth", "Tasks waiting in each queue.", labels=["queue"])
        for queue, n in sorted(depth.items()):
            family.add_metric([queue], n)
        yield family

        family = GaugeMetricFamily("league_submissions", "Submissions by status.", labels=["status"])
        counts = dict(Submission.objects.values_list("status").annotate(n=Count("pk")))
        for status in Submission.Status.values:
            family.add_metric([status], counts.get(status, 0))
        yield family

        yield GaugeMetricFamily(
            "league_races_per_minute", "Results recorded in the last minute.",
            value=Result.objects.filter(created_at__gte=minute_ago).count(),
        )  # fmt: skip
        yield GaugeMetricFamily(
            "league_videos_per_minute", "Video renders finished in the last minute.",
            value=DBTaskResult.objects.filter(
                queue_name="videos", status="SUCCESSFUL", finished_at__gte=minute_ago
            ).count(),
        )  # fmt: skip
        yield CounterMetricFamily("league_races", "Results recorded.", value=Result.objects.count())

        finished = Submission.objects.filter(status=Submission.Status.FINISHED)
        yield _histogram(
            "league_race_duration_seconds", "Wall-clock time of a race, from its claim by a worker to its result.",
            finished, "started_at", "finished_at", RACE_BUCKETS_S,
        )  # fmt: skip
        yield _histogram(
            "league_submit_to_result_seconds", "From the submission to its result, waiting in the queue included.",
            finished, "created_at", "finished_at", SUBMIT_BUCKETS_S,
        )  # fmt: skip

        yield self._failures()

        family = GaugeMetricFamily(
            "league_workers_alive", "Workers seen in the last minute, by the queue they serve.", labels=["queue"]
        )
        for queue, n in sorted(workers_alive().items()):
            family.add_metric([queue], n)
        yield family

    @staticmethod
    def _failures() -> CounterMetricFamily:
        """Runs that ended without a result, by kind: the model's faults by their kind
        (crash, nan, too slow, ...), the platform's after every retry ("platform"), and
        videos that could not be rendered ("video")."""
        family = CounterMetricFamily("league_failures", "Runs that failed, by kind.", labels=["kind"])
        kinds: dict[str, int] = {}
        model = Submission.objects.filter(status=Submission.Status.FAILED)
        for row in model.values("failure__kind").annotate(n=Count("pk")):
            kind = str(row["failure__kind"] or "model")
            if not _KIND.fullmatch(kind):  # a label is a name, never a stored free text
                kind = "other"
            kinds[kind] = kinds.get(kind, 0) + row["n"]
        kinds["platform"] = Submission.objects.filter(status=Submission.Status.ERROR).count()
        kinds["video"] = Result.objects.filter(video_status=Result.VideoStatus.FAILED).count()
        for kind, n in sorted(kinds.items()):
            family.add_metric([kind], n)
        return family


REGISTRY.register(LeagueCollector())
