from __future__ import annotations

from rest_framework import serializers

from league.models import Race, Season


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
