"""Forms of the organiser console. They collect a community race's settings as a page
shows them (a ranking name, local date-times in a chosen time zone) and hand the
service (league.community) its own kinds of values; the bounds, defaults and most
error messages are the service's and league.rules'."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from functools import lru_cache

from django import forms
from django.utils import timezone

from ladder import settings as ladder
from ladder.models import FINALS_SIZES, MATCHES_PER_HOUR_RANGE
from league import rules
from league.models import Race
from nights.models import COUNTDOWN_RANGE_S, LiveRace
from simulator.params import SENSORS
from tracks.models import Track
from tracks.services import MAX_TRACK_BYTES
from web.templatetags.league_web import sensor_label

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
RANKING_CHOICES = [("total_time", "Total time"), ("best_lap", "Best lap"), ("average_lap", "Average lap")]
FORMAT_CHOICES = [
    ("time_trial", "Time trial: the track to yourself"),
    ("object_avoidance", "Object avoidance: boxes on the track"),
    ("head_to_bot", "Head-to-bot: bot cars to pass"),
    ("head_to_head", "Head-to-head: the racers' models against each other, a ladder and finals"),
]
PLACEMENT_CHOICES = [("random", "Random (from the seed)"), ("fixed", "Fixed (positions below)")]
MODE_CHOICES = [
    (LiveRace.Mode.CLASSIC.value, "Open entries: racers submit when they like, each run races at once"),
    (LiveRace.Mode.LIVE.value, "Race night: racers queue and run one after another, live, in real time"),
]
NIGHT_FIELDS = ("countdown_s", "speed_control", "self_start")
GRID_CHOICES = [("side_by_side", "Side by side"), ("staggered", "Staggered (one car behind)")]
EXTEND_CHOICES = {"1": timedelta(hours=1), "24": timedelta(days=1), "168": timedelta(days=7)}
# The list offers the places people live, "Europe/Paris" style; the tz database's names
# kept for old systems ("US/Pacific", "GB-Eire", "Etc/GMT+5") stay valid (the API takes
# any IANA name, and a race that has one keeps it on its form) but are not offered.
_REGIONS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/", "Europe/",
            "Indian/", "Pacific/")


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    """UTC first, then the server's IANA names of places, sorted."""
    names = sorted(n for n in zoneinfo.available_timezones() if n.startswith(_REGIONS))
    return [("UTC", "UTC")] + [(n, n.replace("_", " ")) for n in names]


def local_value(when: datetime | None, zone: str) -> str:
    """An aware time as the datetime-local input shows it, in the race's zone."""
    if when is None:
        return ""
    return timezone.localtime(when, zoneinfo.ZoneInfo(zone)).strftime(LOCAL_FORMAT)


def _span(bounds) -> str:
    """(30.0, 600.0) -> "30 to 600"."""
    return f"{bounds[0]:g} to {bounds[1]:g}"


def _number(step, bounds) -> forms.NumberInput:
    low, high = bounds
    return forms.NumberInput(attrs={"step": step, "min": low, "max": high, "inputmode": "decimal"})


# The service names settings as the API does ("time_cap_s must be between ..."); a page
# says them in words.
SETTING_WORDS = {
    "off_track_penalty_s": "the off-track penalty", "off_track_limit": "the off-track limit",
    "time_cap_s": "the time cap", "total_quota": "submissions per racer", "daily_quota": "submissions per day",
    "allowed_sensors": "sensors", "time_zone": "the time zone", "replay_visibility": "replays visible to",
    "opens_at": "the opening time", "closes_at": "the close time", "objects": "the number of boxes",
    "bots": "the number of bots", "bot_speed": "the bots' speed", "collision_penalty_s": "the collision penalty",
    "fixed_positions": "the fixed positions", "bot_lane_change": "lane changes", "duel_start": "the grid",
    "matches_per_hour": "the match budget", "finals_size": "the finals' size",
}  # fmt: skip


def readable_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """The service's {field: [messages]} with the settings' API names put in words."""
    out = {}
    for field, messages in errors.items():
        words = SETTING_WORDS.get(field)
        out[field] = [_sentence(m.replace(field, words) if words else m) for m in messages]
    return out


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _whole_seconds(values: dict) -> dict:
    """3.0 s shows as 3, 2.5 s as 2.5."""
    for field in ("off_track_penalty_s", "time_cap_s", "collision_penalty_s", "bot_speed"):
        if isinstance(values.get(field), float) and values[field].is_integer():
            values[field] = int(values[field])
    return values


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time without a zone: the form pairs it with its time zone field."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)

    def to_python(self, value):
        aware = super().to_python(value)  # read in the server's zone (UTC)...
        return timezone.make_naive(aware) if aware is not None else None  # ...and kept as read


class RaceForm(forms.Form):
    """Every setting of a community race. With `race` and `locked` (the race has opened),
    only the settings that may still change (rules.CHANGEABLE_ONCE_OPEN)."""

    name = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": 120, "autocomplete": "off",
                           "placeholder": "Friday night time trial"}))  # fmt: skip
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
        help_text="Plain text for your racers: what to expect, prizes, who to ask.",
    )  # fmt: skip
    track = forms.ModelChoiceField(queryset=None, to_field_name="slug", required=False, widget=forms.RadioSelect,
                                   empty_label=None)  # fmt: skip
    direction = forms.ChoiceField(choices=Race.Direction.choices, widget=forms.RadioSelect)
    ranking = forms.ChoiceField(choices=RANKING_CHOICES, help_text="Total: all laps plus penalties; best or "
                                "average lap. Ties go to the earlier submission.")  # fmt: skip
    laps = forms.IntegerField(widget=_number(1, rules.LAPS_RANGE), help_text=f"{_span(rules.LAPS_RANGE)}.")
    off_track_penalty_s = forms.FloatField(
        label="Off-track penalty (s)", widget=_number(0.5, rules.OFF_TRACK_PENALTY_RANGE_S),
        help_text=f"Added to the clock for each reset: {_span(rules.OFF_TRACK_PENALTY_RANGE_S)} s. Empty: "
        f"{rules.off_track_penalty_default_s('time_trial'):g} s, {rules.off_track_penalty_default_s('head_to_bot'):g} s "
        "with boxes or bots.", required=False,
    )  # fmt: skip
    off_track_limit = forms.IntegerField(
        label="Off-track limit", widget=_number(1, rules.OFF_TRACK_LIMIT_RANGE),
        help_text="0: unlimited. More resets than this end the run as DNF.",
    )  # fmt: skip
    time_cap_s = forms.FloatField(label="Time cap (s)", widget=_number(10, rules.TIME_CAP_RANGE_S),
                                  help_text=f"{_span(rules.TIME_CAP_RANGE_S)} s; over the cap a run is a DNF.")  # fmt: skip
    allowed_sensors = forms.MultipleChoiceField(
        label="Sensors allowed", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(s, sensor_label(s)) for s in SENSORS],
    )  # fmt: skip
    total_quota = forms.IntegerField(label="Submissions per racer", widget=_number(1, rules.QUOTA_RANGE))
    daily_quota = forms.IntegerField(label="…of them per day", widget=_number(1, rules.QUOTA_RANGE),
                                     help_text="Counted per UTC day; failed runs don't count.")  # fmt: skip
    opens_at = LocalDateTimeField(label="Opens at", required=False, help_text="Empty: now.")
    closes_at = LocalDateTimeField(label="Closes at", required=False,
                                   help_text=f"Empty: {rules.DEFAULT_WINDOW.days} days after it opens.")  # fmt: skip
    time_zone = forms.ChoiceField(label="Time zone", choices=time_zone_choices,
                                  help_text="The race's own clock; racers also see their local time.")  # fmt: skip
    visibility = forms.ChoiceField(choices=Race.Visibility.choices, widget=forms.RadioSelect)
    # The race format: field names as the API's (the service's errors land on them).
    # Left empty, each takes its default (a new race) or stays as it was.
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, widget=forms.RadioSelect, required=False)
    objects = forms.IntegerField(label="Boxes", widget=_number(1, rules.OBJECTS_RANGE), required=False,
                                 help_text=f"{_span(rules.OBJECTS_RANGE)}.")  # fmt: skip
    placement = forms.ChoiceField(label="Placement", choices=PLACEMENT_CHOICES, widget=forms.RadioSelect,
                                  required=False)  # fmt: skip
    fixed_positions = forms.CharField(
        label="Fixed positions", required=False,
        widget=forms.TextInput(attrs={"placeholder": "inside:20, outside:45, inside:70", "autocomplete": "off"}),
        help_text="Fixed placement: each box's lane (inside or outside) and where it stands in % of the lap.",
    )  # fmt: skip
    bots = forms.IntegerField(label="Bot cars", widget=_number(1, rules.BOTS_RANGE), required=False,
                              help_text=f"{_span(rules.BOTS_RANGE)}.")  # fmt: skip
    bot_speed = forms.FloatField(label="Bot speed (m/s)", widget=_number(0.05, rules.BOT_SPEED_RANGE_M_S), required=False,
                                 help_text=f"{_span(rules.BOT_SPEED_RANGE_M_S)} m/s.")  # fmt: skip
    bot_lane_change = forms.BooleanField(label="Bots change lanes", required=False,
                                         help_text="At times drawn from the seed, the same for every racer.")  # fmt: skip
    collision_penalty_s = forms.FloatField(
        label="Collision penalty (s)", widget=_number(0.5, rules.COLLISION_PENALTY_RANGE_S), required=False,
        help_text=f"Added for each touch of a box, a bot or the other car: {_span(rules.COLLISION_PENALTY_RANGE_S)} s.",
    )  # fmt: skip
    seed = forms.IntegerField(
        label="Seed", required=False, widget=_number(1, rules.SEED_RANGE),
        help_text="Where boxes stand and when bots change lanes. Empty: a random one.",
    )  # fmt: skip
    # A head-to-head race's ladder (ladder/settings.py): set with the race, on the page as in the API.
    duel_start = forms.ChoiceField(label="Grid", choices=GRID_CHOICES, widget=forms.RadioSelect, required=False,
                                   help_text="How the two cars of each duel start; each match races it both ways.")  # fmt: skip
    matches_per_hour = forms.IntegerField(
        label="Matches an hour, at most", widget=_number(1, MATCHES_PER_HOUR_RANGE), required=False,
        help_text="The ladder's pace (and the CPU it takes); it can change while the race runs.",
    )  # fmt: skip
    finals_size = forms.TypedChoiceField(
        label="Finals", choices=[(n, f"Top {n}") for n in FINALS_SIZES], coerce=int,
        required=False, help_text="Double elimination, when the race closes; fewer if fewer racers are rated.",
    )  # fmt: skip
    # How it runs, chosen with a new race (nights/control.py); afterwards on its control desk.
    mode = forms.ChoiceField(label="How it runs", choices=MODE_CHOICES, widget=forms.RadioSelect, required=False)
    countdown_s = forms.IntegerField(
        label="Countdown (s)", widget=_number(1, COUNTDOWN_RANGE_S), required=False,
        help_text=f"Before each run: {_span(COUNTDOWN_RANGE_S)} s.",
    )  # fmt: skip
    speed_control = forms.BooleanField(label="Racers may change their speed (0.5x–1.5x)", required=False,
                                       help_text="A slider on the live page while their run is on; recorded in the replay.")  # fmt: skip
    self_start = forms.BooleanField(label="Start by itself when the race opens", required=False,
                                    help_text="Otherwise you start it from the control desk.")  # fmt: skip
    replay_visibility = forms.ChoiceField(
        label="Replays visible to", required=False,
        choices=[("", "Default: everyone for public races, participants otherwise")] + Race.ReplayVisibility.choices,
    )  # fmt: skip

    def __init__(self, *args, tracks=None, race: Race | None = None, locked: bool = False, **kwargs):
        self.race = race
        if race is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(race)
        elif "initial" not in kwargs:
            kwargs["initial"] = self.initial_defaults()
        super().__init__(*args, **kwargs)
        self.fields["track"].queryset = tracks if tracks is not None else Track.objects.none()
        if locked:
            keep = set(rules.CHANGEABLE_ONCE_OPEN)
            if race is not None and race.format == "head_to_head":
                keep |= set(ladder.CHANGEABLE_ONCE_OPEN)
            for name in list(self.fields):
                if name not in keep:
                    del self.fields[name]
        if race is not None:  # a race night is made on the race's control desk once it exists
            for name in ("mode", *NIGHT_FIELDS):
                self.fields.pop(name, None)
        zone = self.fields.get("time_zone")
        if zone is not None and race is not None and race.time_zone not in dict(zone.choices):
            zone.choices = [*zone.choices, (race.time_zone, race.time_zone)]  # an old name, set through the API
        if race is None and not self.is_bound:  # a new race: the organiser's own zone (organise.js)
            self.fields["time_zone"].widget.attrs["data-browser-zone"] = ""
        if race is not None and "closes_at" in self.fields:
            self.fields["closes_at"].help_text = f"In the race's time zone, {race.time_zone}."
        if race is not None and "opens_at" in self.fields:
            self.fields["opens_at"].required = self.fields["closes_at"].required = True
            self.fields["opens_at"].help_text = ""

    @staticmethod
    def initial_defaults() -> dict:
        defaults = {**rules.community_defaults(), **_format_initial(rules.format_defaults()), **ladder.DEFAULTS}
        defaults.update(mode=LiveRace.Mode.CLASSIC.value, countdown_s=LiveRace._meta.get_field("countdown_s").default)
        defaults["ranking"] = rules.RANKING_OF_TIMING[defaults.pop("timing_method")]
        defaults["off_track_penalty_s"] = None  # by the format (the field's help says)
        return _whole_seconds(defaults)

    @staticmethod
    def initial_from(race: Race) -> dict:
        values = {field: getattr(race, field) for field in (
            "name", "description", "direction", "laps", "off_track_penalty_s", "off_track_limit", "time_cap_s",
            "allowed_sensors", "total_quota", "daily_quota", "time_zone", "visibility", "replay_visibility",
        )}  # fmt: skip
        values.update(_format_initial({field: getattr(race, field) for field in rules.FORMAT_FIELDS}))
        values.update(ladder.ladder_settings(race))
        values["track"] = race.track.slug
        values["ranking"] = rules.RANKING_OF_TIMING.get(race.timing_method, race.timing_method)
        values["opens_at"] = local_value(race.opens_at, race.time_zone)
        values["closes_at"] = local_value(race.closes_at, race.time_zone)
        return _whole_seconds(values)

    def settings(self) -> dict:
        """The cleaned values as the service takes them (the track apart, the ladder's
        settings under "ladder", a race night's under "night"): the
        ranking as its timing method, the times made aware in the chosen zone. Empty
        times are left out (the service's defaults, or the race's times unchanged)."""
        data = dict(self.cleaned_data)
        data.pop("track", None)
        # The ladder's, apart (the views hand them to ladder.settings for a head-to-head race).
        data["ladder"] = {k: v for k in ladder.FIELDS if (v := data.pop(k, None)) not in (None, "")}
        # A race night's, apart too (the views hand them to nights.control): None for open entries.
        night = {k: data.pop(k, None) for k in NIGHT_FIELDS}
        if data.pop("mode", None) == LiveRace.Mode.LIVE:
            data["night"] = {k: v for k, v in night.items() if v is not None}
        for name, field in (("objects", "object_count"), ("bot_speed", "bot_speed_m_s")):
            if name in data:
                data[field] = data.pop(name)
        for field in ("off_track_penalty_s", "seed", "format", "object_count", "placement", "bots", "bot_speed_m_s",
                      "collision_penalty_s"):  # empty: the default, or as it was
            if field in data and data[field] in (None, ""):
                del data[field]
        if "ranking" in data:
            data["timing_method"] = rules.RANKINGS.get(data.pop("ranking"), "")
        zone_name = data.get("time_zone") or (self.race.time_zone if self.race else "UTC")
        zone = zoneinfo.ZoneInfo(zone_name)
        for field in ("opens_at", "closes_at"):
            if field not in data:
                continue
            if data[field] is None:
                del data[field]
            else:
                data[field] = data[field].replace(tzinfo=zone)
        if "replay_visibility" in data and not data["replay_visibility"]:
            if self.race is None:
                del data["replay_visibility"]
            else:
                data["replay_visibility"] = rules.default_replay_visibility(data.get("visibility", self.race.visibility))
        return data


def _format_initial(values: dict) -> dict:
    """A race's format settings as the form shows them (API names, positions as text)."""
    values = dict(values)
    values["objects"] = values.pop("object_count")
    values["bot_speed"] = values.pop("bot_speed_m_s")
    values["fixed_positions"] = ", ".join(f"{p['lane']}:{p['progress_pct']:g}" for p in values["fixed_positions"])
    return values


class TrackUploadForm(forms.Form):
    name = forms.CharField(label="Track name", required=False,
                           widget=forms.TextInput(attrs={"maxlength": 120, "autocomplete": "off"}))  # fmt: skip
    npy = forms.FileField(
        label="Track file (.npy)", required=False,
        help_text="DeepRacer's waypoint array: N rows of centre, inner and outer x, y in metres.",
        widget=forms.ClearableFileInput(attrs={"accept": ".npy"}),
    )  # fmt: skip

    def data_bytes(self) -> bytes | None:
        upload = self.cleaned_data.get("npy")
        # One byte over the cap is enough for the service to say the file is too large.
        return upload.read(MAX_TRACK_BYTES + 1) if upload else None


class ExtendForm(forms.Form):
    by = forms.ChoiceField(choices=[(k, k) for k in EXTEND_CHOICES])

    def delta(self) -> timedelta:
        return EXTEND_CHOICES[self.cleaned_data["by"]]
