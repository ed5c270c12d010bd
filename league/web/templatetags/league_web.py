"""Page helpers: {% load league_web %}.

Times of a race use the builtin filters of league.templatetags.league_format
(`race_time`, `race_gap`); these are the rest of what the pages show.
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from league.web import reads

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


@register.simple_tag
def replay_url(result_id):
    """The replay page of a result, or "" while there is none."""
    return reads.replay_url(result_id) or ""


@register.simple_tag
def track_map_url(track, width=None):
    """{% track_map_url track 480 as map %}: the track's picture, "" if none."""
    return reads.track_map_url(track, width) or ""


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
