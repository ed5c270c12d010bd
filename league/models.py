"""The league's domain: racers, seasons and races (an event on one track with its rules).

Business rules live in `league.services`; these classes only describe the data. What is
raced and ranked (models, submissions, results, standings) is racing's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from simulator.params import SENSORS, TIMING_METHODS, RaceRules

# The simulator's rules are the one definition of a race's defaults.
RACE_DEFAULTS = RaceRules()


def default_allowed_sensors() -> list[str]:
    return list(SENSORS)


class Racer(models.Model):
    """A user who races, known on every board by a unique public alias."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="racer"
    )
    alias = models.CharField(max_length=40, help_text="Public name shown on leaderboards.")
    is_house = models.BooleanField(
        default=False, help_text="A house driver shipped with the simulator."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("alias"), name="racer_alias_unique_ci"),
        ]
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias


class Season(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one open season at a time: opening one closes the other.
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="open"), name="one_open_season"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Race(models.Model):
    """One event of a season on one track, with its rules and quotas."""

    TimingMethod = models.TextChoices("TimingMethod", [(m, m) for m in TIMING_METHODS])

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="races")
    track = models.ForeignKey("tracks.Track", on_delete=models.PROTECT, related_name="races")
    name = models.CharField(max_length=120, blank=True)
    order = models.PositiveIntegerField(default=0)
    laps = models.PositiveSmallIntegerField(default=RACE_DEFAULTS.laps)
    timing_method = models.CharField(
        max_length=16, choices=TimingMethod.choices, default=RACE_DEFAULTS.timing_method
    )
    off_track_penalty_s = models.FloatField(default=RACE_DEFAULTS.off_track_penalty_s)
    time_cap_s = models.FloatField(default=RACE_DEFAULTS.time_cap_s)
    allowed_sensors = models.JSONField(default=default_allowed_sensors)
    opens_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open as soon as the season opens."
    )
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open until the season closes."
    )
    daily_quota = models.PositiveIntegerField(
        default=20, help_text="Submissions per racer per UTC day (failed and error runs excluded)."
    )
    total_quota = models.PositiveIntegerField(
        default=200, help_text="Submissions per racer in total (failed and error runs excluded)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["season", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["season", "track"], name="one_race_per_track"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or f"{self.season.name}: {self.track.name}"

    def accepting_submissions(self, now=None) -> bool:
        """Whether the race takes submissions now (its season open, inside its window)."""
        now = now or timezone.now()
        return (
            self.season.status == Season.Status.OPEN
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )
