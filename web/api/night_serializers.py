"""The shapes of the race-night API (web/api/night_views.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from nights.models import COUNTDOWN_RANGE_S, LiveRace, QueueEntry
from nights.queue import queue_place
from simulator.live import SPEED_MULTIPLIER_RANGE

from .serializers import RaceOutput, RaceSettingsInput


class NightSettingsInput(serializers.Serializer):
    """A race night's settings (with its mode in LiveSettingsInput; under `live` when a race
    is created live: RaceCreateInput)."""

    countdown_s = serializers.IntegerField(min_value=COUNTDOWN_RANGE_S[0], max_value=COUNTDOWN_RANGE_S[1],
                                           required=False, help_text="Seconds of countdown before each run.")
    speed_control = serializers.BooleanField(required=False,
                                             help_text="Racers may change their car's speed 0.5x-1.5x during their run.")
    starts_at = serializers.DateTimeField(required=False, help_text="When the night begins (ISO 8601).")
    self_start = serializers.BooleanField(required=False, help_text="Start by itself at starts_at.")


class LiveSettingsInput(NightSettingsInput):
    mode = serializers.ChoiceField(choices=LiveRace.Mode.values, required=False,
                                   help_text="live: a race night; classic: raced as fast as possible.")


class LiveOutput(serializers.Serializer):
    race = serializers.IntegerField(source="race_id")
    mode = serializers.CharField()
    state = serializers.CharField()
    pause_after_run = serializers.BooleanField()
    countdown_s = serializers.IntegerField()
    speed_control = serializers.BooleanField()
    starts_at = serializers.DateTimeField(allow_null=True)
    self_start = serializers.BooleanField()


class QueueRowOutput(serializers.Serializer):
    id = serializers.IntegerField()
    racer = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    place = serializers.IntegerField(allow_null=True, help_text="1: next up, among those waiting.")
    message = serializers.CharField(help_text="Why a run failed, was skipped or the racer removed; or the "
                                              "platform error.")


class QueueOutput(serializers.Serializer):
    state = serializers.CharField()
    entries = QueueRowOutput(many=True)


class QueueJoinInput(serializers.Serializer):
    model = serializers.IntegerField(help_text="The id of one of your models (GET /api/models/).")


class QueueEntryOutput(serializers.ModelSerializer):
    racer = serializers.CharField(source="racer.alias")
    model = serializers.IntegerField(source="model_id")
    position = serializers.SerializerMethodField(
        help_text="The racer's place among those still waiting, 1 = next up (the number the live page and the "
                  "control desk show); null once they are up, racing or done.")

    class Meta:
        model = QueueEntry
        fields = ["id", "racer", "model", "position", "status", "message", "checked", "joined_at"]

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=1))
    def get_position(self, entry: QueueEntry) -> int | None:
        return queue_place(entry)


class QueueChangeInput(serializers.Serializer):
    place = serializers.IntegerField(min_value=1, required=False, help_text="Move a waiting racer: 1 = next.")
    readmit = serializers.BooleanField(required=False, help_text="true: back in the queue, at its end.")


class SpeedInput(serializers.Serializer):
    multiplier = serializers.FloatField(min_value=SPEED_MULTIPLIER_RANGE[0], max_value=SPEED_MULTIPLIER_RANGE[1],
                                        help_text="The car's speed times this, from the next step on.")


class SpeedOutput(serializers.Serializer):
    run = serializers.IntegerField(source="pk")
    multiplier = serializers.FloatField(source="speed_request")


class RaceCreateInput(RaceSettingsInput):
    """POST /api/races/: a community race's settings, and whether it is a race night."""

    mode = serializers.ChoiceField(choices=LiveRace.Mode.values, required=False,
                                   help_text="live: a race night (racers queue and run one after another in real "
                                             "time, docs/organisers.md); classic (default): raced as fast as "
                                             "possible. Change it later with PUT /api/races/{id}/live/.")
    live = NightSettingsInput(required=False, help_text="The race night's settings (with mode live).")


class RaceCreatedOutput(RaceOutput):
    mode = serializers.SerializerMethodField(help_text="classic or live (a race night).")
    live = serializers.SerializerMethodField(help_text="A race night's settings and state; null for a classic race.")

    class Meta(RaceOutput.Meta):
        fields = [*RaceOutput.Meta.fields, "mode", "live"]

    @extend_schema_field(serializers.ChoiceField(choices=LiveRace.Mode.values))
    def get_mode(self, race) -> str:
        live = self.context.get("live")
        return LiveRace.Mode.CLASSIC if live is None else live.mode

    @extend_schema_field(LiveOutput(allow_null=True))
    def get_live(self, race) -> dict | None:
        live = self.context.get("live")
        return None if live is None else LiveOutput(live).data
