from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tracks import selectors
from tracks.models import Track


class TrackOutput(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Track
        fields = [
            "slug", "name", "description", "difficulty", "length_m", "min_width_m",
            "max_width_m", "waypoints", "clockwise", "is_shipped", "sha256", "image_url",
            "file_url",
        ]  # fmt: skip

    def _url(self, field) -> str | None:
        if not field:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(field.url) if request is not None else field.url

    def get_image_url(self, track: Track) -> str | None:
        return self._url(track.image)

    def get_file_url(self, track: Track) -> str | None:
        return self._url(track.file)


class TrackRaceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    season = serializers.CharField(source="season.slug")
    season_status = serializers.CharField(source="season.status")
    laps = serializers.IntegerField()
    timing_method = serializers.CharField()


class TrackDetailOutput(TrackOutput):
    races = TrackRaceOutput(many=True, source="race_list")

    class Meta(TrackOutput.Meta):
        fields = [*TrackOutput.Meta.fields, "races"]


class TrackListApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: TrackOutput(many=True)}, tags=["tracks"])
    def get(self, request):
        return Response(TrackOutput(selectors.track_list(), many=True, context={"request": request}).data)


class TrackDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: TrackDetailOutput}, tags=["tracks"])
    def get(self, request, slug: str):
        try:
            track = selectors.track_get(slug)
        except Track.DoesNotExist:
            get_object_or_404(Track, slug=slug)
        return Response(TrackDetailOutput(track, context={"request": request}).data)
