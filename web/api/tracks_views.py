"""Tracks API: everyone's tracks, a facilitator's uploads, and uploading a DeepRacer
track file. A facilitator's own track is seen by them, admins, and whoever may see a
race on it (league/access.py `visible_tracks`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from league import access
from league.selectors import track_races_for
from tracks import selectors
from tracks.models import Track
from tracks.services import MAX_TRACK_BYTES, track_upload

from . import errors
from .permissions import FacilitatorWritesOnly, mine_requested
from .throttles import WriteRateThrottle

TOO_LARGE = f"The track file is larger than {MAX_TRACK_BYTES // (1024 * 1024)} MiB; a track has a few hundred waypoints."


class TrackOutput(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()
    is_public = serializers.BooleanField(
        read_only=True, help_text="On everyone's list (shipped, an admin's, or promoted); else an upload of its facilitator."
    )

    class Meta:
        model = Track
        fields = [
            "slug", "name", "description", "difficulty", "length_m", "min_width_m",
            "max_width_m", "waypoints", "clockwise", "is_shipped", "is_public", "sha256",
            "image_url", "file_url",
        ]  # fmt: skip

    def _url(self, name: str, track: Track) -> str:
        url = reverse(name, args=[track.slug])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_image_url(self, track: Track) -> str:
        return self._url("track-map", track)

    def get_file_url(self, track: Track) -> str | None:
        # Through the view that applies the track's visibility, never a media URL.
        return self._url("track-file", track) if track.file else None


class TrackRaceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    season = serializers.CharField(source="season.slug", allow_null=True, help_text="Null: a community race.")
    season_status = serializers.CharField(source="season.status", allow_null=True)
    laps = serializers.IntegerField()
    timing_method = serializers.CharField()


class TrackDetailOutput(TrackOutput):
    races = TrackRaceOutput(many=True, source="race_list")

    class Meta(TrackOutput.Meta):
        fields = [*TrackOutput.Meta.fields, "races"]


class TrackUploadInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    npy = serializers.FileField(
        required=False, allow_empty_file=True,
        help_text=f"DeepRacer waypoints: a .npy float array of N x 6 (centre, inner, outer x/y in metres); at most {MAX_TRACK_BYTES} bytes.",
    )  # fmt: skip


class TrackListApi(APIView):
    permission_classes = [FacilitatorWritesOnly]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "upload"

    @extend_schema(
        parameters=[OpenApiParameter("mine", OpenApiTypes.BOOL, description="1: the tracks you uploaded; facilitators only.")],
        responses=errors.facilitator_responses(TrackOutput(many=True)),
        tags=["tracks"],
        description="Everyone's tracks (shipped, admins', promoted uploads), or with `?mine=1` your uploads. "
        "Not paginated: a league has a handful of tracks, and pickers want them all in one answer.",
    )
    def get(self, request):
        mine = mine_requested(request, self)
        tracks = selectors.tracks_uploaded_by(request.user) if mine else selectors.track_list()
        return Response(TrackOutput(tracks, many=True, context={"request": request}).data)

    @extend_schema(
        request={"multipart/form-data": TrackUploadInput},
        responses=errors.facilitator_responses(
            TrackOutput, code=201,
            bad=errors.bad_request("{name|npy: [messages]}: what is wrong with the file; nothing stored."),
        ),  # fmt: skip
        tags=["tracks"],
        description="Facilitators and admins. Upload a DeepRacer track (`npy`) with a `name`. It "
        "is checked as the simulator checks tracks (a closed loop, sane width, no crossing "
        "borders, finite numbers, never unpickled). A facilitator's track is theirs to race "
        "on until an admin puts it on everyone's list; an admin's is everyone's at once.",
    )
    def post(self, request):
        # Refuse a body far over the cap before it is parsed (and spooled to disk).
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_TRACK_BYTES + 65536:
            return Response({"npy": [TOO_LARGE]}, status=status.HTTP_400_BAD_REQUEST)
        data = TrackUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("npy")
        content = upload.read(MAX_TRACK_BYTES + 1) if upload is not None else None
        try:
            track = track_upload(user=request.user, name=data.validated_data["name"], data=content)
        except DjangoValidationError as exc:
            return Response(errors.field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(TrackOutput(track, context={"request": request}).data, status=status.HTTP_201_CREATED)


class TrackDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={200: TrackDetailOutput, 404: errors.detail("No such track (or another facilitator's upload).")},
        tags=["tracks"],
    )
    def get(self, request, slug: str):
        track = access.visible_tracks(request.user).filter(slug=slug).first()
        if track is None:
            raise NotFound("No such track.")
        track.race_list = list(track_races_for(track, request.user))
        return Response(TrackDetailOutput(track, context={"request": request}).data)
