"""Help in the site: the competitors' guide and a race's rules in words."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from league import access
from league.models import Race
from racing.failures import reproduce_command

from .markup import guide as guide_document
from .markup import organiser_markdown

# What each sensor gives a model, and the guide's section about it.
SENSOR_WORDS = {
    "FRONT_FACING_CAMERA": ("a grey 160×120 picture from the car's front camera", "front_facing_camera"),
    "STEREO_CAMERAS": ("two such pictures, left and right, as two channels", "stereo_cameras"),
    "LIDAR": ("64 distances to the track's edges, all round the front of the car", "lidar-input-1-64-float32"),
    "STATE": ("26 numbers: speed, steering, where the car is on the track and the centre line ahead",
              "state-input-1-26-float32"),
}  # fmt: skip


def guide(request):
    """docs/competitors.md, with its contents beside it."""
    return render(request, "help/guide.html", {"doc": guide_document()})


def race_rules(request, race_id: int):
    """Every setting of a race in words. A race the viewer may not see is a 404, like
    one that does not exist."""
    try:
        race = access.visible_races(request.user).select_related("season", "track", "owner").get(pk=race_id)
    except Race.DoesNotExist:
        raise Http404("No such race.") from None
    return render(
        request,
        "help/race_rules.html",
        {
            "race": race,
            "season": race.season,
            "track": race.track,
            "description": organiser_markdown(race.description) if race.description else "",
            "sensors": [_sensor(name) for name in race.allowed_sensors],
            "local_command": reproduce_command(race, json_output=False),
        },
    )


def _sensor(name: str) -> dict:
    words, anchor = SENSOR_WORDS.get(name, ("", "sensors-what-your-model-sees"))
    return {"name": name, "words": words, "anchor": anchor}
