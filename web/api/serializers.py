"""Input and output serializers of the API (one per shape; views stay thin)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from league.models import Race, Season
from racing.models import PolicyModel, Result, Submission


class SignupInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    alias = serializers.CharField(help_text="Public name on the leaderboards.")


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


class RaceOutput(serializers.ModelSerializer):
    track = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    track_name = serializers.CharField(source="track.name", read_only=True)
    season = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    accepting_submissions = serializers.SerializerMethodField()

    class Meta:
        model = Race
        fields = [
            "id", "name", "season", "track", "track_name", "laps", "timing_method",
            "off_track_penalty_s", "time_cap_s", "allowed_sensors", "opens_at", "closes_at",
            "daily_quota", "total_quota", "accepting_submissions",
        ]  # fmt: skip

    def get_accepting_submissions(self, race: Race) -> bool:
        return race.accepting_submissions()


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
    gap_s = serializers.FloatField(allow_null=True, help_text="Gap to the leader.")
    best_lap_s = serializers.FloatField(allow_null=True)
    laps = serializers.IntegerField()
    progress = serializers.FloatField()
    off_track_count = serializers.IntegerField()
    submissions = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    result_id = serializers.IntegerField()
    points = serializers.IntegerField()


class SeasonStandingOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    racer = serializers.CharField(source="racer.alias")
    points = serializers.IntegerField()
    races = serializers.IntegerField()
    wins = serializers.IntegerField()
    best_rank = serializers.IntegerField()


class ModelUploadInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    onnx = serializers.FileField(required=False, allow_empty_file=True, help_text="model.onnx")
    metadata = serializers.FileField(
        required=False, allow_empty_file=True, help_text="model_metadata.json"
    )


class ModelOutput(serializers.ModelSerializer):
    class Meta:
        model = PolicyModel
        fields = [
            "id", "name", "sha256", "sensors", "action_space_type", "action_count",
            "size_bytes", "metadata", "info", "created_at",
        ]  # fmt: skip


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

    class Meta:
        model = Result
        fields = [
            "id", "race", "racer", "submission", *Result.SIMULATOR_KEYS,
            "replay_url", "video_url", "video_status", "created_at",
        ]  # fmt: skip

    def _url(self, field) -> str | None:
        if not field:
            return None
        request = self.context.get("request")
        url = field.url
        return request.build_absolute_uri(url) if request is not None else url

    def _api_url(self, name: str, result: Result) -> str:
        url = reverse(name, args=[result.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    # The API endpoints, not the raw media files: they serve byte ranges (seeking) and
    # work the same on local disk and object storage.
    def get_replay_url(self, result: Result) -> str | None:
        return self._api_url("api-result-replay", result) if result.replay else None

    def get_video_url(self, result: Result) -> str | None:
        return self._api_url("api-result-video", result) if result.video else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for key, value in (instance.extra or {}).items():
            data.setdefault(key, value)
        return data


class SubmissionOutput(serializers.ModelSerializer):
    model = serializers.IntegerField(source="model_id")
    model_name = serializers.CharField(source="model.name")
    race = serializers.IntegerField(source="race_id")
    result = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id", "status", "error", "model", "model_name", "race", "attempts",
            "created_at", "started_at", "finished_at", "result",
        ]  # fmt: skip

    def get_result(self, submission: Submission) -> dict | None:
        try:
            result = submission.result
        except Result.DoesNotExist:
            return None
        return ResultOutput(result, context=self.context).data
