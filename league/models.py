"""The league's domain: racers, seasons and races (an event on one track with its rules):
league races belong to a season; community races stand on their own, run by a facilitator.

Business rules live in `league.services`; these classes only describe the data. What is
raced and ranked (models, submissions, results, standings) is racing's.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from simulator.formats import PLACEMENTS, RACE_TYPES, SEED_RANGE, RaceFormat
from simulator.params import SENSORS, TIMING_METHODS, RaceRules

from .aliases import KEY_MAX_LENGTH, alias_key

# The simulator's rules are the one definition of a race's defaults.
RACE_DEFAULTS = RaceRules()
FORMAT_DEFAULTS = RaceFormat()
FORMAT_LABELS = {"time_trial": "Time trial", "object_avoidance": "Object avoidance", "head_to_bot": "Head-to-bot",
                 "head_to_head": "Head-to-head"}
# Competitors' models racing each other (the ladder app): a league format, not a simulator
# race type (each match is `python -m simulator duel`).
LEAGUE_FORMATS = (*RACE_TYPES, "head_to_head")


def default_allowed_sensors() -> list[str]:
    return list(SENSORS)


def new_seed() -> int:
    """A race's seed when its organiser gives none: drawn once, when the race is created,
    so that every racer of the race meets the same boxes and bots."""
    low, high = SEED_RANGE
    return low + secrets.randbelow(high - low + 1)


class Racer(models.Model):
    """A user who races, known on every board by a unique public alias.

    A deleted account leaves its racer behind without a user (`deleted_at` set, the
    alias "Deleted racer <id>") when its results stay on the boards.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="racer", null=True, blank=True
    )
    alias = models.CharField(max_length=40, help_text="Public name shown on leaderboards.")
    # The alias folded as league.aliases.alias_key folds it: two aliases that read the
    # same have the same key, and the constraint below lets only one racer have it.
    alias_key = models.CharField(max_length=KEY_MAX_LENGTH, null=True, blank=True, editable=False)
    is_house = models.BooleanField(
        default=False, help_text="A house driver shipped with the simulator."
    )
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="When the account was deleted.")

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("alias"), name="racer_alias_unique_ci"),
            models.UniqueConstraint(fields=["alias_key"], name="racer_alias_key_unique"),
        ]
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias

    def save(self, *args, **kwargs):
        # The key follows the alias on every save, whoever saves it (the services, the
        # admin, the demo's get_or_create), so the unique constraint always sees it.
        self.alias_key = alias_key(self.alias)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "alias" in update_fields:
            kwargs["update_fields"] = {*update_fields, "alias_key"}
        super().save(*args, **kwargs)


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
    """An event on one track with its rules and quotas: one race of a league season, or a
    community race that a facilitator runs on its own (no season, no points)."""

    TimingMethod = models.TextChoices("TimingMethod", [(m, m) for m in TIMING_METHODS])
    Format = models.TextChoices("Format", [(t.upper(), (t, FORMAT_LABELS[t])) for t in LEAGUE_FORMATS])
    Placement = models.TextChoices("Placement", [(p.upper(), (p, p.capitalize())) for p in PLACEMENTS])

    class Direction(models.TextChoices):
        # DeepRacer's words; what they name is the file's own order or its reverse.
        COUNTERCLOCKWISE = "counterclockwise", "As the track file runs"
        CLOCKWISE = "clockwise", "Reversed"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public (listed)"
        UNLISTED = "unlisted", "Unlisted (anyone with the link)"
        PRIVATE = "private", "Private (invite link only)"

    class ReplayVisibility(models.TextChoices):
        EVERYONE = "everyone", "Everyone who sees the race"
        PARTICIPANTS = "participants", "Participants"
        OWNER = "owner", "Each racer their own"

    season = models.ForeignKey(
        Season, on_delete=models.CASCADE, related_name="races", null=True, blank=True,
        help_text="Empty: a community race.",
    )  # fmt: skip
    owner = models.ForeignKey(
        Racer, on_delete=models.SET_NULL, related_name="races_run", null=True, blank=True,
        help_text="The facilitator who runs this community race.",
    )  # fmt: skip
    track = models.ForeignKey("tracks.Track", on_delete=models.PROTECT, related_name="races")
    name = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True, max_length=5000)
    order = models.PositiveIntegerField(default=0)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.COUNTERCLOCKWISE)
    laps = models.PositiveSmallIntegerField(default=RACE_DEFAULTS.laps)
    timing_method = models.CharField(
        max_length=16, choices=TimingMethod.choices, default=RACE_DEFAULTS.timing_method
    )
    off_track_penalty_s = models.FloatField(default=RACE_DEFAULTS.off_track_penalty_s)
    off_track_limit = models.PositiveIntegerField(
        default=RACE_DEFAULTS.off_track_limit, help_text="0: unlimited; more resets end the run as DNF."
    )
    time_cap_s = models.FloatField(default=RACE_DEFAULTS.time_cap_s)
    allowed_sensors = models.JSONField(default=default_allowed_sensors)
    # The race format (simulator.formats.RaceFormat) and its settings; a time trial ignores
    # the others. Chosen when the race is created; fixed once it opens (league/rules.py).
    format = models.CharField(max_length=20, choices=Format.choices, default=FORMAT_DEFAULTS.race_type)
    # `objects` in the API and the simulator; a model field cannot take the manager's name.
    object_count = models.PositiveSmallIntegerField(
        default=FORMAT_DEFAULTS.objects, help_text="Object avoidance: boxes on the track."
    )
    placement = models.CharField(
        max_length=10, choices=Placement.choices, default=FORMAT_DEFAULTS.placement,
        help_text="Object avoidance: boxes placed from the seed, or at the fixed positions.",
    )  # fmt: skip
    fixed_positions = models.JSONField(
        default=list, blank=True,
        help_text='Fixed placement: one {"lane": "inside"|"outside", "progress_pct": 0-100} per box.',
    )  # fmt: skip
    bots = models.PositiveSmallIntegerField(default=FORMAT_DEFAULTS.bots, help_text="Head-to-bot: bot cars.")
    bot_speed_m_s = models.FloatField(default=FORMAT_DEFAULTS.bot_speed_m_s, help_text="Head-to-bot: m/s.")
    bot_lane_change = models.BooleanField(
        default=FORMAT_DEFAULTS.bot_lane_change, help_text="Head-to-bot: bots change lanes at seeded times."
    )
    collision_penalty_s = models.FloatField(default=FORMAT_DEFAULTS.collision_penalty_s)
    # Every racer of the race meets the same obstacles: the seed is drawn once, at creation.
    seed = models.PositiveIntegerField(
        default=new_seed, help_text="Where boxes stand and when bots change lanes; drawn at creation."
    )
    opens_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open as soon as the season opens."
    )
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open until the season closes."
    )
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, for showing the times.")
    daily_quota = models.PositiveIntegerField(
        default=20, help_text="Submissions per racer per UTC day (failed and error runs excluded)."
    )
    total_quota = models.PositiveIntegerField(
        default=200, help_text="Submissions per racer in total (failed and error runs excluded)."
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    replay_visibility = models.CharField(
        max_length=12, choices=ReplayVisibility.choices, default=ReplayVisibility.EVERYONE
    )
    # The secret of the invite link (unlisted and private races); reset makes a new one.
    invite_token = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["season", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["season", "track"], name="one_race_per_track"),
        ]
        permissions = [("facilitate_races", "Can create and run community races")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_community(self) -> bool:
        return self.season_id is None

    @property
    def reversed(self) -> bool:
        return self.direction == self.Direction.CLOCKWISE

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return f"{self.season.name}: {self.track.name}" if self.season_id else self.track.name

    def window_closed(self, now=None) -> bool:
        """Whether the race's own close time has passed (a closed race: no race night, no
        more entries, the finals due)."""
        return self.closes_at is not None and self.closes_at <= (now or timezone.now())

    def accepting_submissions(self, now=None) -> bool:
        """Whether the race takes submissions now (its season, if any, open; inside its
        window)."""
        now = now or timezone.now()
        return (
            (self.season_id is None or self.season.status == Season.Status.OPEN)
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )


class RaceEntrant(models.Model):
    """A racer who joined a community race (by its invite link, or by entering a public
    race). A removed entrant's results leave the board and stay on record."""

    race = models.ForeignKey(Race, on_delete=models.CASCADE, related_name="entrants")
    racer = models.ForeignKey(Racer, on_delete=models.CASCADE, related_name="entries")
    joined_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["race", "joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["race", "racer"], name="one_entry_per_racer")]

    def __str__(self) -> str:
        return f"{self.racer} in {self.race_id}"
