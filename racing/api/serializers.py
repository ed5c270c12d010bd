from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from racing.models import PolicyModel, Result, Submission


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
