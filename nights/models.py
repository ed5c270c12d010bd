"""A live race (a `league.Race` run as a race night), its queue and its runs.

Rules live in nights/queue.py (joining, moving, removing) and nights/control.py (start,
pause, skip, re-run, end); the paced runs in nights/runs.py and nights/worker.py.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

COUNTDOWN_RANGE_S = (0, 60)


class LiveRace(models.Model):
    class Mode(models.TextChoices):
        CLASSIC = "classic", "Classic (raced as fast as possible)"
        LIVE = "live", "Live (one racer after another, in real time)"

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to start"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    race = models.OneToOneField("league.Race", on_delete=models.CASCADE, related_name="live")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.LIVE)
    starts_at = models.DateTimeField(null=True, blank=True, help_text="When the night begins.")
    self_start = models.BooleanField(default=False, help_text="Start by itself at starts_at.")
    countdown_s = models.PositiveSmallIntegerField(default=10, help_text="Seconds before each run.")
    speed_control = models.BooleanField(
        default=False, help_text="Racers may change their car's speed by 0.5x-1.5x during their run."
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    pause_after_run = models.BooleanField(default=False)
    # The worker driving the night renews this while it runs; another one waits for it.
    driver_token = models.CharField(max_length=32, blank=True)
    driver_seen_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.race} ({self.mode}, {self.state})"

    @property
    def is_live(self) -> bool:
        return self.mode == self.Mode.LIVE


class QueueEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        UP = "up", "Up next (countdown)"
        RUNNING = "running", "Running"
        DONE = "done", "Raced"
        FAILED = "failed", "Failed (the model)"
        ERROR = "error", "Platform error (may be re-run)"
        SKIPPED = "skipped", "Skipped"
        REMOVED = "removed", "Removed"

    ACTIVE = (Status.WAITING, Status.UP, Status.RUNNING)

    live_race = models.ForeignKey(LiveRace, on_delete=models.CASCADE, related_name="entries")
    racer = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="night_entries")
    model = models.ForeignKey("racing.PolicyModel", on_delete=models.CASCADE, related_name="night_entries")
    position = models.PositiveIntegerField(help_text="Order in the queue, lowest first.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    message = models.TextField(blank=True, help_text="Why it failed, was skipped or removed.")
    checked = models.JSONField(default=dict, help_text="What was checked at join (sensors, model).")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["live_race", "racer"], name="nights_one_entry_per_racer"),
        ]
        verbose_name_plural = "queue entries"

    def __str__(self) -> str:
        return f"#{self.position} {self.racer} ({self.status})"


class LiveRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed (the model)"
        ERROR = "error", "Platform error"
        SKIPPED = "skipped", "Skipped"

    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="runs")
    submission = models.OneToOneField("racing.Submission", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="live_run")
    result = models.OneToOneField("racing.Result", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="live_run")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    # The racer's slider: the latest multiplier asked (the worker passes it to the race).
    speed_request = models.FloatField(default=1.0)
    speed_multipliers = models.JSONField(default=list, help_text="[[step, multiplier], ...] as raced.")
    # The newest frame, renewed a few times a second: a late viewer's snapshot starts here.
    last_frame = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"run of {self.entry} ({self.status})"
