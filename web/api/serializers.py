"""Input and output serializers of the API (one per shape; views stay thin)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from datetime import timezone as dt_timezone
from urllib.parse import urlsplit

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ladder.models import FINALS_SIZES, MATCHES_PER_HOUR_RANGE
from ladder.settings import DEFAULTS as LADDER_DEFAULTS
from ladder.settings import ladder_settings
from league import access
from league.models import Race, Season
from league import rules
from league.rules import RANKING_OF_TIMING, RANKINGS
from racing.failures import failure_explained
from racing.models import PolicyModel, Result, Submission
from simulator.duel import STARTS
from simulator.failures import FAILURE_KINDS
from simulator.params import SENSORS


class SignupInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    alias = serializers.CharField(help_text="Public name on the leaderboards.")
    email = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="Optional: where a password reset link can be sent (never shown).",
    )  # fmt: skip


class TokenInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    alias = serializers.CharField()
    token = serializers.CharField()
    is_staff = serializers.BooleanField()
    is_facilitator = serializers.BooleanField(help_text="May create and run community races.")


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def invite_url(race: Race, request) -> str:
    """The page a racer opens to join `race` (absolute)."""
    try:
        url = reverse("race-join", args=[race.invite_token])
    except NoReverseMatch:  # the pages' URL table names it; the path is the contract
        url = f"/races/join/{race.invite_token}/"
    return _absolute(request, url)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone, or UTC for a name that is none (the service refuses those)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _in_time_zone(value: datetime | None, zone_name: str) -> str | None:
    return serializers.DateTimeField(default_timezone=_zone(zone_name)).to_representation(value)


class FixedPositionOutput(serializers.Serializer):
    """One box of a fixed placement."""

    lane = serializers.ChoiceField(choices=list(rules.LANES), help_text="inside or outside of the centre line.")
    progress_pct = serializers.FloatField(help_text="Where the box stands: % of the lap from the start line (0 to <100).")


@extend_schema_field(FixedPositionOutput(many=True))
class FixedPositionsField(serializers.JSONField):
    """A list of {lane, progress_pct}, or text (`inside:20,outside:45`); the service checks it."""


class LadderSettingsOutput(serializers.Serializer):
    duel_start = serializers.ChoiceField(choices=list(STARTS), help_text="The grid of each duel.")
    matches_per_hour = serializers.IntegerField(help_text="The match budget: at most this many ladder matches "
                                                "start in any hour.")
    finals_size = serializers.ChoiceField(choices=list(FINALS_SIZES),
                                          help_text="How many of the ladder go into the double-elimination finals.")


def _choice(name: str, choices, **kwargs) -> serializers.ChoiceField:
    """An optional choice whose refusal names the allowed values."""
    values = list(choices)
    return serializers.ChoiceField(
        choices=values, required=False,
        error_messages={"invalid_choice": f"{name} is one of {', '.join(map(str, values))}; got {{input!r}}."},
        **kwargs,
    )  # fmt: skip


class LadderSettingsInput(serializers.Serializer):
    """A head-to-head race's ladder settings (ladder/settings.py checks them, with the race)."""

    duel_start = _choice(
        "duel_start", STARTS,
        help_text=f"The grid of each duel (default {LADDER_DEFAULTS['duel_start']}); fixed once the race opens.",
    )  # fmt: skip
    matches_per_hour = serializers.IntegerField(
        required=False, help_text=f"The match budget, {MATCHES_PER_HOUR_RANGE[0]} to {MATCHES_PER_HOUR_RANGE[1]} "
        f"(default {LADDER_DEFAULTS['matches_per_hour']}); it can change at any time.",
    )  # fmt: skip
    finals_size = _choice(
        "finals_size", FINALS_SIZES,
        help_text=f"The finals' size (default {LADDER_DEFAULTS['finals_size']}, fewer if fewer are rated); "
        "fixed once the race opens.",
    )  # fmt: skip

    def to_internal_value(self, data):
        # Checked here, not in validate(): a nested serializer has no initial_data of its own.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: [f"Unknown ladder setting; the settings are: {', '.join(self.fields)}."] for key in unknown}
                )
        return super().to_internal_value(data)


class RaceOutput(serializers.ModelSerializer):
    track = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    track_name = serializers.CharField(source="track.name", read_only=True)
    season = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    community = serializers.BooleanField(source="is_community", read_only=True,
                                         help_text="A community race (no season, no points).")
    owner = serializers.SlugRelatedField(slug_field="alias", read_only=True,
                                         help_text="The alias of the facilitator who runs it.")
    ranking = serializers.SerializerMethodField(help_text="total_time, best_lap or average_lap.")
    opens_at = serializers.SerializerMethodField(help_text="ISO 8601, in the race's time zone.")
    closes_at = serializers.SerializerMethodField(help_text="ISO 8601, in the race's time zone.")
    accepting_submissions = serializers.SerializerMethodField()
    invite_url = serializers.SerializerMethodField(
        help_text="The join link of an unlisted or private race; only its facilitator and admins get it."
    )
    format = serializers.ChoiceField(choices=list(rules.FORMATS), read_only=True,
                                     help_text="time_trial, object_avoidance (boxes) or head_to_bot (bot cars).")
    objects = serializers.IntegerField(source="object_count", read_only=True, help_text="object_avoidance: boxes.")
    fixed_positions = FixedPositionOutput(many=True, read_only=True,
                                          help_text="object_avoidance with fixed placement: each box.")
    bot_speed = serializers.FloatField(source="bot_speed_m_s", read_only=True, help_text="head_to_bot: m/s.")
    seed = serializers.IntegerField(read_only=True, help_text="Where boxes stand and when bots change lanes.")
    ladder = serializers.SerializerMethodField(help_text="head_to_head: the ladder's settings; null otherwise.")

    class Meta:
        model = Race
        fields = [
            "id", "name", "season", "community", "owner", "description", "track", "track_name",
            "direction", "ranking", "timing_method", "laps", "off_track_penalty_s", "off_track_limit",
            "time_cap_s", "allowed_sensors", "opens_at", "closes_at", "time_zone", "daily_quota",
            "total_quota", "visibility", "replay_visibility", "accepting_submissions", "invite_url",
            "format", "objects", "placement", "fixed_positions", "bots", "bot_speed", "bot_lane_change",
            "collision_penalty_s", "seed", "ladder",
        ]  # fmt: skip

    @extend_schema_field(LadderSettingsOutput(allow_null=True))
    def get_ladder(self, race: Race) -> dict | None:
        return ladder_settings(race) if race.format == "head_to_head" else None

    @extend_schema_field(serializers.ChoiceField(choices=list(RANKINGS)))
    def get_ranking(self, race: Race) -> str:
        return RANKING_OF_TIMING.get(race.timing_method, race.timing_method)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_opens_at(self, race: Race) -> str | None:
        return _in_time_zone(race.opens_at, race.time_zone)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_closes_at(self, race: Race) -> str | None:
        return _in_time_zone(race.closes_at, race.time_zone)

    def get_accepting_submissions(self, race: Race) -> bool:
        return race.accepting_submissions()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_invite_url(self, race: Race) -> str | None:
        request = self.context.get("request")
        if race.visibility == Race.Visibility.PUBLIC or not race.invite_token or request is None:
            return None
        if not access.can_manage(race, request.user):
            return None
        return invite_url(race, request)


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601; a time without an offset stays naive here, for the serializer to read
    in the race's time zone."""

    def enforce_timezone(self, value):
        return value


class RaceSettingsInput(serializers.Serializer):
    """A community race's settings (POST: the name and track; PATCH: any of them). The
    bounds are checked by the service (league/rules.py), which names each field."""

    name = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    track = serializers.CharField(required=False, help_text="The slug of a track you may race on.")
    direction = _choice("direction", Race.Direction.values)
    ranking = _choice("ranking", RANKINGS)
    laps = serializers.IntegerField(required=False)
    off_track_penalty_s = serializers.FloatField(required=False)
    off_track_limit = serializers.IntegerField(required=False, help_text="0: unlimited.")
    time_cap_s = serializers.FloatField(required=False)
    allowed_sensors = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=f"Any of {', '.join(SENSORS)}."
    )
    total_quota = serializers.IntegerField(required=False)
    daily_quota = serializers.IntegerField(required=False)
    opens_at = LocalDateTimeField(
        required=False, help_text="ISO 8601; without an offset it is read in `time_zone`. Default: now."
    )
    closes_at = LocalDateTimeField(
        required=False, help_text="ISO 8601; without an offset it is read in `time_zone`. Default: 7 days after opening."
    )
    time_zone = serializers.CharField(required=False, help_text="IANA name, e.g. Europe/Paris. Default: UTC.")
    visibility = _choice("visibility", Race.Visibility.values)
    replay_visibility = _choice("replay_visibility", Race.ReplayVisibility.values)
    # The race format (docs/organisers.md, "Race formats"): chosen at creation, fixed once
    # the race opens. Settings of another format are kept and ignored.
    format = _choice("format", rules.FORMATS)
    objects = serializers.IntegerField(
        required=False, help_text=f"object_avoidance: boxes, {rules.OBJECTS_RANGE[0]} to {rules.OBJECTS_RANGE[1]} "
        f"(default {rules.FORMAT_DEFAULTS.objects}).",
    )  # fmt: skip
    placement = _choice("placement", rules.PLACEMENTS)
    fixed_positions = FixedPositionsField(
        required=False, help_text="object_avoidance with placement fixed: one {lane, progress_pct} per box.",
    )  # fmt: skip
    bots = serializers.IntegerField(
        required=False, help_text=f"head_to_bot: bot cars, {rules.BOTS_RANGE[0]} to {rules.BOTS_RANGE[1]} "
        f"(default {rules.FORMAT_DEFAULTS.bots}).",
    )  # fmt: skip
    bot_speed = serializers.FloatField(
        required=False, help_text=f"head_to_bot: the bots' speed, {rules.BOT_SPEED_RANGE_M_S[0]:g} to "
        f"{rules.BOT_SPEED_RANGE_M_S[1]:g} m/s (default {rules.FORMAT_DEFAULTS.bot_speed_m_s:g}).",
    )  # fmt: skip
    bot_lane_change = serializers.BooleanField(required=False, help_text="head_to_bot: bots change lanes at seeded times.")
    collision_penalty_s = serializers.FloatField(
        required=False, help_text=f"Seconds per collision with a box or bot, {rules.COLLISION_PENALTY_RANGE_S[0]:g} "
        f"to {rules.COLLISION_PENALTY_RANGE_S[1]:g} (default {rules.FORMAT_DEFAULTS.collision_penalty_s:g}).",
    )  # fmt: skip
    seed = serializers.IntegerField(
        required=False, allow_null=True, help_text=f"{rules.SEED_RANGE[0]} to {rules.SEED_RANGE[1]}; "
        "default: drawn at random when the race is created. Every racer meets the same obstacles.",
    )  # fmt: skip
    ladder = LadderSettingsInput(required=False, help_text="head_to_head: the ladder's settings (any of them).")

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {key: [f"Unknown setting; the settings are: {', '.join(self.fields)}."] for key in unknown}
            )
        if "ranking" in attrs:
            attrs["timing_method"] = RANKINGS[attrs.pop("ranking")]
        for api_name, field in (("objects", "object_count"), ("bot_speed", "bot_speed_m_s")):
            if api_name in attrs:
                attrs[field] = attrs.pop(api_name)
        zone = _zone(attrs.get("time_zone") or self.context.get("time_zone") or "UTC")
        errors = {}
        for field in ("opens_at", "closes_at"):
            value = attrs.get(field)
            if value is not None and timezone.is_naive(value):
                attrs[field] = aware = value.replace(tzinfo=zone)
                if aware.astimezone(dt_timezone.utc).astimezone(zone).replace(tzinfo=None) != value:
                    errors[field] = [f"{value:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks skip it)."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RaceJoinInput(serializers.Serializer):
    invite = serializers.CharField(help_text="The invite link (/races/join/<token>/) or its token.")

    def validate_invite(self, value: str) -> str:
        """The token, from the whole link or on its own."""
        value = value.strip()
        if "/" in value:
            value = urlsplit(value).path.rstrip("/").rpartition("/")[2]
        return value


class InviteOutput(serializers.Serializer):
    invite_url = serializers.CharField()


class EntrantOutput(serializers.Serializer):
    racer = serializers.CharField(help_text="The racer's alias.")
    joined_at = serializers.DateTimeField()
    removed_at = serializers.DateTimeField(allow_null=True, help_text="Set once the facilitator removed them.")
    submissions = serializers.IntegerField(help_text="Their submissions to this race, any status.")
    rank = serializers.IntegerField(allow_null=True, help_text="Their rank on the board (their best result).")
    result_id = serializers.IntegerField(allow_null=True, help_text="The result that ranks.")


class SeasonOutput(serializers.ModelSerializer):
    races = RaceOutput(many=True, read_only=True)

    class Meta:
        model = Season
        fields = ["slug", "name", "status", "created_at", "opened_at", "closed_at", "races"]


class LeaderboardRowOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    racer = serializers.CharField(help_text="The racer's alias.")
    finished = serializers.BooleanField()
    time_s = serializers.FloatField(allow_null=True, help_text="Official time; null for a DNF.")
    gap_s = serializers.FloatField(allow_null=True, help_text="Gap to the leader: 0 on the leader's row and for a tie with it (the rank tells them apart), null for a DNF.")
    best_lap_s = serializers.FloatField(allow_null=True)
    laps = serializers.IntegerField()
    progress = serializers.FloatField()
    off_track_count = serializers.IntegerField()
    collision_count = serializers.IntegerField(help_text="Touches of a box or a bot (0 in time trials).")
    submissions = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    result_id = serializers.IntegerField()
    points = serializers.IntegerField(help_text="Season points (0 in community races).")
    simulator_version = serializers.CharField(help_text="The simulator version of the ranked result.")
    other_version = serializers.BooleanField(help_text="Raced on another simulator version than today's.")
    # Head-to-head races (format head_to_head): the rows are in the ladder's order.
    rating = serializers.FloatField(allow_null=True, help_text="Head-to-head: the ladder's conservative score, mu - 3 sigma (the order of the rows); null in other formats and before a racer's first rating.")
    mu = serializers.FloatField(allow_null=True, help_text="Head-to-head: OpenSkill's mean skill.")
    sigma = serializers.FloatField(allow_null=True, help_text="Head-to-head: OpenSkill's uncertainty.")
    matches = serializers.IntegerField(help_text="Head-to-head: rated ladder matches (0 in other formats).")
    wins = serializers.IntegerField(help_text="Head-to-head: of them won.")


class SeasonStandingOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    racer = serializers.CharField(source="racer.alias")
    points = serializers.IntegerField()
    races = serializers.IntegerField()
    wins = serializers.IntegerField()
    best_rank = serializers.IntegerField()


class RaceResultRowOutput(serializers.Serializer):
    """One racer's row of a race's results export (racing/exports.py RACE_COLUMNS)."""

    rank = serializers.IntegerField()
    racer = serializers.CharField(help_text="The racer's alias.")
    ranking = serializers.CharField(help_text="The race's ranking: total_time, best_lap or average_lap.")
    ranking_time_s = serializers.FloatField(allow_null=True, help_text="The figure the board ranks by; null for a DNF.")
    total_time_s = serializers.FloatField(allow_null=True)
    best_lap_s = serializers.FloatField(allow_null=True)
    avg_lap_s = serializers.FloatField(allow_null=True)
    laps = serializers.IntegerField()
    off_track_count = serializers.IntegerField()
    collision_count = serializers.IntegerField(help_text="Touches of a box or a bot (0 in time trials).")
    submissions = serializers.IntegerField()
    submitted_at = serializers.CharField(help_text="ISO 8601.")
    result_id = serializers.IntegerField()
    model_sha256 = serializers.CharField()


class ModelUploadInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    onnx = serializers.FileField(required=False, allow_empty_file=True, help_text="model.onnx")
    metadata = serializers.FileField(
        required=False, allow_empty_file=True, help_text="model_metadata.json"
    )
    archive = serializers.FileField(
        required=False, allow_empty_file=True,
        help_text="Instead of onnx + metadata: a DeepRacer console export (.tar.gz), converted on upload.",
    )  # fmt: skip


class ModelOutput(serializers.ModelSerializer):
    class Meta:
        model = PolicyModel
        fields = [
            "id", "name", "sha256", "sensors", "action_space_type", "action_count",
            "size_bytes", "metadata", "info", "created_at",
        ]  # fmt: skip


class ModelRenameInput(serializers.Serializer):
    name = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="The model's new name (1 to 80 characters).")


class SubmissionInput(serializers.Serializer):
    model = serializers.IntegerField(help_text="Id of one of your models.")
    race = serializers.IntegerField(help_text="Id of a race that accepts submissions.")


class ResultOutput(serializers.ModelSerializer):
    """Every key of the simulator's result, plus where it belongs and its files."""

    race = serializers.IntegerField(source="race_id")
    racer = serializers.CharField(source="racer.alias")
    submission = serializers.IntegerField(source="submission_id")
    replay_url = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()
    simtrace_url = serializers.SerializerMethodField()
    race_type = serializers.SerializerMethodField(
        help_text="The race format it was raced in: time_trial, object_avoidance or head_to_bot."
    )
    seed = serializers.SerializerMethodField(help_text="The seed of its boxes' places and bots' lane changes.")

    class Meta:
        model = Result
        fields = [
            "id", "race", "racer", "submission", *Result.SIMULATOR_KEYS, "race_type", "seed",
            "replay_url", "video_url", "simtrace_url", "video_status", "created_at",
        ]  # fmt: skip

    def _api_url(self, name: str, result: Result) -> str:
        return _absolute(self.context.get("request"), reverse(name, args=[result.pk]))

    def _replay_visible(self, result: Result) -> bool:
        """The race's replay setting, for the caller (links only where they may follow)."""
        request = self.context.get("request")
        user = request.user if request is not None else None
        known = self.context.setdefault("replay_visible", {})  # per race and racer, once
        key = (result.race_id, result.racer_id)
        if key not in known:
            known[key] = access.replay_visible_to(result.race, result.racer_id, user)
        return known[key]

    # The API endpoints, not the raw media files: they serve byte ranges (seeking) and
    # work the same on local disk and object storage.
    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_replay_url(self, result: Result) -> str | None:
        if not result.replay or not self._replay_visible(result):
            return None
        return self._api_url("api-result-replay", result)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_video_url(self, result: Result) -> str | None:
        if not result.video or not self._replay_visible(result):
            return None
        return self._api_url("api-result-video", result)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_simtrace_url(self, result: Result) -> str | None:
        if not result.replay or not self._replay_visible(result):
            return None
        return self._api_url("api-result-simtrace", result)

    # The simulator's own keys, kept in `extra` (results raced before formats have none).
    @extend_schema_field(serializers.CharField())  # the values of RaceOutput's `format`
    def get_race_type(self, result: Result) -> str:
        return (result.extra or {}).get("race_type") or "time_trial"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_seed(self, result: Result) -> int | None:
        return (result.extra or {}).get("seed")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for key, value in (instance.extra or {}).items():
            data.setdefault(key, value)
        return data


class FailureOutput(serializers.Serializer):
    """Where, when and why a failed run failed (racing/failures.py failure_explained)."""

    kind = serializers.ChoiceField(choices=list(FAILURE_KINDS), help_text="What failed (simulator/failures.py).")
    title = serializers.CharField(help_text="The kind in words.")
    message = serializers.CharField(help_text="The simulator's or the sandbox's own message.")
    located = serializers.BooleanField(
        help_text="False when the sandbox ended the run (memory, a crash of the runtime, or CPU time and "
        "wall clock past the simulator's own stop) before the simulator could say where: the figures "
        "below are then null. A run that ran out of CPU time or wall clock is normally stopped by the "
        "simulator itself, located, with its replay so far."
    )
    local = serializers.BooleanField(
        help_text="Whether `reproduce` fails the same way on your machine: false for the sandbox's memory, "
        "CPU time and wall clock, which a local run does not have."
    )
    step = serializers.IntegerField(allow_null=True, help_text="Control steps raced before the one that failed (15 a second).")
    clock_s = serializers.FloatField(allow_null=True, help_text="Race clock at the failure, penalties included.")
    lap = serializers.IntegerField(allow_null=True, help_text="The lap being driven, from 1.")
    laps_completed = serializers.IntegerField(allow_null=True)
    progress = serializers.FloatField(allow_null=True, help_text="Fraction of that lap covered, 0..1.")
    x_m = serializers.FloatField(allow_null=True, help_text="Where the car was, in the track file's metres.")
    y_m = serializers.FloatField(allow_null=True)
    heading_rad = serializers.FloatField(allow_null=True)
    speed_m_s = serializers.FloatField(allow_null=True)
    causes = serializers.ListField(child=serializers.CharField(), help_text="What usually causes this kind of failure.")
    reproduce = serializers.CharField(
        help_text="The local command that races the model again under this race's settings (model files in the "
        "current folder; a track that is not shipped is its .npy file, from the track's page)."
    )
    partial_replay_url = serializers.URLField(
        allow_null=True, help_text="The replay JSON up to the failure (trajectory and events); null if none."
    )
    partial_replay_page_url = serializers.URLField(
        allow_null=True, help_text="The interactive replay viewer on it; null if none."
    )


def failure_output(submission: Submission, request) -> dict | None:
    failure = failure_explained(submission)
    if failure is None:
        return None
    has_replay = failure.pop("has_partial_replay")
    failure.pop("track_argument", None)
    failure["partial_replay_url"] = (
        _absolute(request, reverse("api-submission-replay", args=[submission.pk])) if has_replay else None
    )
    failure["partial_replay_page_url"] = (
        _absolute(request, reverse("submission-replay", args=[submission.pk])) if has_replay else None
    )
    return FailureOutput(failure).data


class SubmissionOutput(serializers.ModelSerializer):
    model = serializers.IntegerField(source="model_id")
    model_name = serializers.CharField(source="model.name")
    race = serializers.IntegerField(source="race_id")
    result = serializers.SerializerMethodField()
    failure = serializers.SerializerMethodField(
        help_text="A failed run (status `failed`) explained; null for every other status (an `error` is "
        "the platform's fault, never the model's)."
    )

    class Meta:
        model = Submission
        fields = [
            "id", "status", "error", "model", "model_name", "race", "attempts",
            "created_at", "started_at", "finished_at", "result", "failure",
        ]  # fmt: skip

    def get_result(self, submission: Submission) -> dict | None:
        try:
            result = submission.result
        except Result.DoesNotExist:
            return None
        return ResultOutput(result, context=self.context).data

    @extend_schema_field(FailureOutput(allow_null=True))
    def get_failure(self, submission: Submission) -> dict | None:
        return failure_output(submission, self.context.get("request"))


# --- head-to-head (ladder/) -----------------------------------------------------------------


class DuelSummaryOutput(serializers.Serializer):
    winner = serializers.ChoiceField(choices=["a", "b", "draw"], help_text="Of this duel, sides as in the match.")
    positions = serializers.DictField(child=serializers.IntegerField(), help_text="Grid position of a and b.")
    a_status = serializers.CharField()
    a_time_s = serializers.FloatField(allow_null=True, help_text="Total time, penalties included.")
    b_status = serializers.CharField()
    b_time_s = serializers.FloatField(allow_null=True)
    car_collisions = serializers.IntegerField(help_text="Contacts between the two cars.")


class MatchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["queued", "running", "finished", "error"])
    racer_a = serializers.CharField()
    racer_b = serializers.CharField()
    winner = serializers.ChoiceField(choices=["a", "b", "draw"], allow_null=True)
    winner_racer = serializers.CharField(allow_null=True, help_text="The winner's alias; null for a draw or an unfinished match.")
    seed = serializers.IntegerField(help_text="Where on the lap the grid stood (`python -m simulator duel --seed`).")
    finals = serializers.CharField(allow_null=True, help_text="The bracket place (W1.1: winners' side, round 1, match 1; L; GF; GF2), null for a ladder match.")
    rated = serializers.BooleanField(help_text="Whether it moved both ratings.")
    rating_change = serializers.JSONField(allow_null=True, help_text="mu and sigma of a and b: [before, after].")
    duels = DuelSummaryOutput(many=True)
    replays = serializers.ListField(child=serializers.IntegerField(), help_text="The duels (1, 2) with a replay at /api/matches/{id}/replay/{duel}/.")
    videos = serializers.ListField(child=serializers.IntegerField(), help_text="The duels with an MP4 (both cars) at /api/matches/{id}/video/{duel}/, rendered after the match.")
    video_status = serializers.ListField(
        child=serializers.ChoiceField(choices=["pending", "rendering", "ready", "failed"], allow_null=True),
        help_text="Duel 1's and duel 2's video: pending, rendering, ready or failed (the replays stay); null: "
        "none asked for (videos are off, or the duel has no replay).",
    )  # fmt: skip
    error = serializers.CharField(help_text="Why a match ended in error (the platform's fault).")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class BracketSideOutput(serializers.Serializer):
    racer = serializers.CharField()
    seed = serializers.IntegerField()


class BracketPlaceOutput(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["W", "L", "GF", "GF2"])
    round = serializers.IntegerField()
    index = serializers.IntegerField()
    a = BracketSideOutput(allow_null=True)
    b = BracketSideOutput(allow_null=True)
    winner = serializers.CharField(allow_null=True)
    match_id = serializers.IntegerField(allow_null=True)
    match_status = serializers.CharField(allow_null=True)


class BracketOutput(serializers.Serializer):
    size = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["running", "finished"])
    champion = serializers.CharField(allow_null=True)
    seeds = serializers.ListField(child=serializers.CharField(), help_text="Aliases by seed.")
    places = BracketPlaceOutput(many=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
