"""Page helpers: {% load league_web %}.

Times of a race use the builtin filters of web.templatetags.league_format
(`race_time`, `race_gap`); these are the rest of what the pages show. The page scripts
print figures with web/static/web/js/format.js, which mirrors `percent`, `percent_num`,
`ago`, `zoned` and `countdown` (tests/browser/test_format.py proves they agree).
"""

from __future__ import annotations

import math
import zoneinfo
from datetime import datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import json_script

from ladder.settings import ladder_settings
from league import access

from simulator import SIMULATOR_VERSION
from simulator.params import CarParams
from simulator.render import SPEED_PALETTE
from web.pages import links, organise_reads

register = template.Library()

MEDALS = {1: "gold", 2: "silver", 3: "bronze"}
SENSOR_LABELS = {"FRONT_FACING_CAMERA": "Camera", "LIDAR": "Lidar", "STATE": "State"}
TIMING_LABELS = {
    "TOTAL_TIME": "Total time",
    "BEST_LAP_TIME": "Best lap",
    "AVG_LAP_TIME": "Average lap",
}
TIMING_HELP = {
    "TOTAL_TIME": "the time of all laps, penalties included",
    "BEST_LAP_TIME": "the fastest single lap",
    "AVG_LAP_TIME": "the average of the laps",
}


@register.filter
def medal(rank) -> str:
    """1 -> "gold", 2 -> "silver", 3 -> "bronze", else ""."""
    try:
        return MEDALS.get(int(rank), "")
    except (TypeError, ValueError):
        return ""


@register.filter
def sensor_label(name) -> str:
    return SENSOR_LABELS.get(str(name), str(name).replace("_", " ").title())


@register.filter
def sensor_labels(names) -> str:
    return ", ".join(sensor_label(n) for n in (names or []))


@register.filter
def timing_label(method) -> str:
    return TIMING_LABELS.get(str(method), str(method))


@register.filter
def timing_help(method) -> str:
    return TIMING_HELP.get(str(method), "")


@register.filter
def percent(value) -> str:
    """0.734 -> "73%"."""
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def percent_num(value) -> str:
    """0.734 -> "73.4" (for style widths)."""
    try:
        return f"{max(0.0, min(1.0, float(value))) * 100:.1f}"
    except (TypeError, ValueError):
        return "0"


@register.filter
def short_sha(value, n: int = 12) -> str:
    return str(value or "")[: int(n)]


@register.filter
def seconds(value) -> str:
    """180.0 -> "180 s", 3.5 -> "3.5 s"."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "—"
    return f"{v:g} s"


@register.filter
def ago(value) -> str:
    """A short relative time: "just now", "5 min ago", "3 h ago", "2 d ago", or a date."""
    if not isinstance(value, datetime):
        return ""
    delta = timezone.now() - value
    secs = int(delta.total_seconds())
    if secs < 0:
        return timezone.localtime(value).strftime("%d %b %H:%M")
    if secs < 45:
        return "just now"
    if secs < 3600:
        return f"{max(1, round(secs / 60))} min ago"
    if secs < 86400:
        return f"{secs // 3600} h ago"
    if secs < 7 * 86400:
        return f"{secs // 86400} d ago"
    local = timezone.localtime(value)
    if local.year == timezone.localtime().year:
        return local.strftime("%d %b")
    return local.strftime("%d %b %Y")


ZONED_FORMAT = "D j M Y, H:i"  # "Wed 26 Nov 2026, 09:00"


@register.filter
def zoned(value, zone="UTC") -> str:
    """An aware time on the wall clock of the IANA `zone`: "Wed 26 Nov 2026, 09:00"."""
    if not isinstance(value, datetime):
        return ""
    try:
        tz = zoneinfo.ZoneInfo(str(zone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return dateformat.format(timezone.localtime(value, tz), ZONED_FORMAT)


def countdown_text(seconds) -> str:
    """Time left, whole seconds rounded up: "2 d 04 h", "3 h 07 min", "5 min 09 s";
    "now" once it is up."""
    try:
        left = math.ceil(float(seconds))
    except (TypeError, ValueError, OverflowError):
        return ""
    if left <= 0:
        return "now"
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours:02d} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s"


@register.filter
def countdown(value) -> str:
    """The time left until `value` (countdown_text); web/static/web/js/countdown.js ticks it."""
    if not isinstance(value, datetime):
        return ""
    return countdown_text((value - timezone.now()).total_seconds())


@register.filter
def ladder_of(race) -> dict | None:
    """A head-to-head race's ladder settings (ladder.settings), None for another format."""
    return ladder_settings(race) if race.format == "head_to_head" else None


@register.filter
def race_label(race) -> str:
    """How lists name a race: a league race by its track (its season says the rest), a
    community race by its own name."""
    return race.display_name if race.season_id is None else race.track.name


@register.filter
def phase(race) -> str:
    """A race's phase by its own window: "upcoming", "open" or "closed"."""
    return organise_reads.race_phase(race)


@register.simple_tag
def site_role(user) -> str:
    """{% site_role user as role %}: "admin", "facilitator" or ""."""
    if not access.is_facilitator(user):
        return ""
    return "admin" if user.is_staff else "facilitator"


@register.simple_tag
def replay_url(result_id):
    """The replay page of a result, or "" while there is none."""
    return links.replay_url(result_id) or ""


@register.simple_tag
def track_map_url(track, width=None):
    """{% track_map_url track 480 as map %}: the track's picture, "" if none."""
    return links.track_map_url(track, width) or ""


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current URL with ?page=number (other query parameters kept)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else None
    if params is None:
        return f"?page={number}"
    params["page"] = number
    return "?" + params.urlencode()


@register.filter
def get_item(mapping, key):
    """{{ dict|get_item:key }}"""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


def _num(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return "?"


@register.filter
def action_space(model) -> str:
    """"Discrete · 5 actions" or "Continuous · steering -30…30° · speed 0.5…4 m/s"."""
    kind = getattr(model, "action_space_type", "") or ""
    if kind == "discrete":
        n = model.action_count or len((model.metadata or {}).get("action_space") or [])
        return f"Discrete · {n} action{'s' if n != 1 else ''}"
    space = (getattr(model, "metadata", None) or {}).get("action_space")
    if kind == "continuous" and isinstance(space, dict):
        steer = space.get("steering_angle") or {}
        speed = space.get("speed") or {}
        return (
            f"Continuous · steering {_num(steer.get('low'))}…{_num(steer.get('high'))}° · "
            f"speed {_num(speed.get('low'))}…{_num(speed.get('high'))} m/s"
        )
    return kind.title() or "—"


# --- For the page scripts -------------------------------------------------------------------


@register.simple_tag
def speed_palette():
    """The speed palette for the page's scripts (web/static/web/js/palette.js):
    <script type="application/json" id="speed-palette">{"stops": [[0.0, [64, 120, 255]],
    ...], "v_max_m_s": 4.0}</script>, from simulator/render.py, as the videos draw it."""
    palette = {"stops": SPEED_PALETTE, "v_max_m_s": CarParams().max_speed_m_s}
    return json_script(palette, "speed-palette")


@register.simple_tag
def speed_gradient(direction: str = "90deg") -> str:
    """The speed palette as a CSS gradient, for legends:
    data-speed-gradient="{% speed_gradient %}" -> linear-gradient(90deg, rgb(64, 120, 255) 0%, ...),
    which web/static/web/js/site.js sets as the legend's --speed-gradient."""
    stops = ", ".join(f"rgb({r}, {g}, {b}) {f * 100:g}%" for f, (r, g, b) in SPEED_PALETTE)
    return f"linear-gradient({direction}, {stops})"


# Rows for <template> elements: the page's scripts clone them to draw the rows that live
# updates bring (web/static/web/js/live/), so a row's markup is written once, in its
# include. Every optional part is present (the viewer's "you", a replay link, the points of
# a cell); the script fills in the figures and drops what a row does not have. No rank:
# nothing reads a template's row as one of the table's (no "rank-N" id).
PROTOTYPE_ALIAS = "racer"  # any alias: a URL to take the racer link's prefix from


@register.simple_tag(takes_context=True)
def board_row_prototype(context, finished: bool) -> dict:
    """A leaderboard row for league/_board_row.html, the viewer's own if signed in."""
    racer = context.get("racer")
    return {
        "rank": "", "racer": getattr(racer, "alias", "") or PROTOTYPE_ALIAS, "finished": finished,
        "time_s": None, "gap_s": None, "best_lap_s": None, "laps": 0, "progress": 0.0,
        "off_track_count": 0, "collision_count": 0, "submissions": 0, "submitted_at": None, "result_id": None,
        "points": 0, "replay_url": "#",
    }  # fmt: skip


@register.simple_tag
def standings_row_prototype() -> dict:
    """A season standings row for league/_standings_row.html, without race cells."""
    return {"standing": {"rank": "", "racer": {"alias": PROTOTYPE_ALIAS}, "points": 0, "wins": 0}, "races": []}


@register.simple_tag
def standings_cell_prototype(kind: str) -> dict | None:
    """A cell of league/_standings_cell.html: "finished", "dnf" or "none" (not entered)."""
    if kind == "none":
        return None
    return {"rank": "", "finished": kind == "finished", "points": 1}


@register.simple_tag
def simulator_version() -> str:
    """The simulator version this league races on now."""
    return SIMULATOR_VERSION
