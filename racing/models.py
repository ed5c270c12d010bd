"""Uploaded policies, submissions (a policy entered in a race), their results and the
stored standings that the leaderboards read.

Rules live in `racing.services`; these classes only describe the data.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from league.models import Race


def model_upload_to(instance: "PolicyModel", filename: str) -> str:
    return f"models/{instance.owner_id}/{uuid.uuid4().hex}/{filename}"


def replay_upload_to(instance: "Result", filename: str) -> str:
    return f"replays/{instance.race_id}/{filename}"


def video_upload_to(instance: "Result", filename: str) -> str:
    return f"videos/{instance.race_id}/{filename}"


def partial_replay_upload_to(instance: "Submission", filename: str) -> str:
    return f"replays/{instance.race_id}/failed/{filename}"


class PolicyModel(models.Model):
    """An uploaded ONNX policy with its DeepRacer metadata, checked before it was stored."""

    owner = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="models")
    name = models.CharField(max_length=80)
    onnx = models.FileField(upload_to=model_upload_to)
    metadata = models.JSONField(help_text="model_metadata.json as uploaded (unknown keys kept).")
    sha256 = models.CharField(max_length=64, db_index=True)
    sensors = models.JSONField()
    action_space_type = models.CharField(max_length=12)
    action_count = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveIntegerField()
    info = models.JSONField(default=dict, help_text="What the trial inference found.")
    created_at = models.DateTimeField(default=timezone.now)
    # A deleted model that has results is archived instead: gone from the garage, kept
    # for the boards and replays that show it.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="model_name_unique_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"  # a result: finished or DNF
        FAILED = "failed", "Failed"  # the model's fault; the message says which
        ERROR = "error", "Error"  # the platform's fault, after every retry

    # Statuses that use up quota: the ones that are or will be a result.
    QUOTA_STATUSES = (Status.QUEUED, Status.RUNNING, Status.FINISHED)
    # Statuses a submission never leaves.
    FINAL_STATUSES = (Status.FINISHED, Status.FAILED, Status.ERROR)

    racer = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="submissions")
    model = models.ForeignKey(PolicyModel, on_delete=models.CASCADE, related_name="submissions")
    race = models.ForeignKey("league.Race", on_delete=models.CASCADE, related_name="submissions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # Where and when a failed run failed (step, clock, lap, progress, position, kind), for
    # the explanation on its page and in the API; null for every other status.
    failure = models.JSONField(null=True, blank=True)
    # The replay up to the failure of a failed run.
    partial_replay = models.FileField(upload_to=partial_replay_upload_to, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The worker running it renews the lease; an expired lease means the worker died.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    run_token = models.CharField(max_length=32, blank=True)
    # The last lap the running race reported, so a page that (re)connects mid-race
    # catches up; cleared when the race is claimed again.
    progress_lap = models.PositiveSmallIntegerField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # CPU seconds its runs took in the sandbox, every attempt, failed ones too: the
    # racer's daily compute budget counts them (racing/quotas.py).
    cpu_s = models.FloatField(default=0.0)
    # A re-race of this result on the current simulator version (an organiser's, not
    # counted against the racer's quota); its result supersedes the old one.
    rerace_of = models.ForeignKey(
        "Result", on_delete=models.SET_NULL, null=True, blank=True, related_name="reraces"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["racer", "race", "created_at"], name="submission_quota"),
            models.Index(fields=["status", "lease_expires_at"], name="submission_lease"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.model} in {self.race_id} ({self.status})"


class Result(models.Model):
    """Every figure of the simulator's result for a raced submission, plus the replay."""

    class Status(models.TextChoices):
        FINISHED = "finished", "Finished"
        DNF = "dnf", "Did not finish"

    class VideoStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="result")
    race = models.ForeignKey("league.Race", on_delete=models.CASCADE, related_name="results")
    racer = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="results")
    status = models.CharField(max_length=10, choices=Status.choices)
    timing_method = models.CharField(max_length=16)
    official_time_s = models.FloatField(null=True)
    laps_completed = models.PositiveIntegerField()
    lap_times_s = models.JSONField(default=list)
    total_time_s = models.FloatField(null=True)
    best_lap_s = models.FloatField(null=True)
    avg_lap_s = models.FloatField(null=True)
    progress = models.FloatField()
    off_track_count = models.PositiveIntegerField()
    penalty_s = models.FloatField(default=0.0)
    # Touches of a box or a bot (object avoidance, head-to-bot); each is in penalty_s too.
    collision_count = models.PositiveIntegerField(default=0)
    steps = models.PositiveIntegerField()
    trajectory_sha256 = models.CharField(max_length=64)
    simulator_version = models.CharField(max_length=30)
    onnxruntime_version = models.CharField(max_length=30)
    numpy_version = models.CharField(max_length=30)
    model_sha256 = models.CharField(max_length=64)
    error = models.TextField(null=True, blank=True)
    extra = models.JSONField(default=dict, help_text="Result keys this server does not know yet.")
    replay = models.FileField(upload_to=replay_upload_to, blank=True)
    video = models.FileField(upload_to=video_upload_to, blank=True)
    video_status = models.CharField(
        max_length=10, choices=VideoStatus.choices, default=VideoStatus.PENDING
    )
    # The worker rendering the video renews this lease; a rendering video whose lease
    # expired lost its worker and is queued again (racing/videos.py, videos_reclaim).
    video_lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set when a re-race on a newer simulator version replaced this result on the board
    # (it stays on record, with its replay).
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["race", "racer"], name="result_race_racer"),
            # The reclaim of videos whose worker died, every few seconds.
            models.Index(fields=["video_status", "video_lease_expires_at"], name="result_video_lease"),
        ]

    # The simulator's result keys, in the order of RaceResult.to_dict().
    SIMULATOR_KEYS = (
        "status",
        "laps_completed",
        "lap_times_s",
        "total_time_s",
        "best_lap_s",
        "avg_lap_s",
        "progress",
        "off_track_count",
        "penalty_s",
        "collision_count",
        "steps",
        "trajectory_sha256",
        "simulator_version",
        "onnxruntime_version",
        "numpy_version",
        "model_sha256",
        "error",
        "timing_method",
        "official_time_s",
    )

    @property
    def is_finished(self) -> bool:
        """Finished the laps with an official time (else DNF): the one test of it."""
        return self.status == self.Status.FINISHED and self.official_time_s is not None


class RaceStanding(models.Model):
    """One row per racer per race: their best result, ranked. Rebuilt when a result lands.

    The sort columns are copied from the result so that the board is one indexed read.
    """

    race = models.ForeignKey("league.Race", on_delete=models.CASCADE, related_name="standings")
    racer = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="race_standings")
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    finished = models.BooleanField()
    time_s = models.FloatField(null=True, help_text="Official time by the timing method.")
    best_lap_s = models.FloatField(null=True)
    laps = models.PositiveIntegerField()
    progress = models.FloatField()
    off_track_count = models.PositiveIntegerField()
    collision_count = models.PositiveIntegerField(default=0)
    submissions = models.PositiveIntegerField(help_text="Raced submissions of this racer.")
    submitted_at = models.DateTimeField()
    points = models.PositiveIntegerField(default=0)
    simulator_version = models.CharField(max_length=30, blank=True, help_text="Of the result, to mark old ones.")

    class Meta:
        ordering = ["race", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["race", "racer"], name="one_standing_per_racer"),
        ]
        indexes = [
            models.Index(fields=["race", "rank"], name="race_standing_rank"),
            models.Index(fields=["racer", "race"], name="race_standing_racer"),
        ]


class SeasonStanding(models.Model):
    """Season points per racer (the sum of their race points), ranked."""

    season = models.ForeignKey("league.Season", on_delete=models.CASCADE, related_name="standings")
    racer = models.ForeignKey("league.Racer", on_delete=models.CASCADE, related_name="season_standings")
    rank = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    races = models.PositiveIntegerField(help_text="Races entered with a result.")
    wins = models.PositiveIntegerField()
    best_rank = models.PositiveIntegerField()

    class Meta:
        ordering = ["season", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["season", "racer"], name="one_season_row_per_racer"),
        ]
        indexes = [models.Index(fields=["season", "rank"], name="season_standing_rank")]


class RaceBoard(Race):
    """A race seen from racing's side in the admin: its board and re-races."""

    class Meta:
        proxy = True
        verbose_name = "race board"


class WorkerBeat(models.Model):
    """The last sign of life of one queue worker, for readiness and metrics: the worker
    renews it every few seconds; one seen in the last minute counts as alive."""

    name = models.CharField(max_length=200, unique=True, help_text="host:pid")
    queue = models.CharField(max_length=100)
    host = models.CharField(max_length=150)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.queue})"
