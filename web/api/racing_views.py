"""Racing API: your models, your submissions, public results. Thin views over services
and selectors."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from league import access
from league.services import racer_for_user
from racing import failures, selectors
from racing.checkslots import ChecksBusy
from racing.garage import ModelBusy, model_delete, model_rename
from racing.models import PolicyModel
from racing.replays import ReplayMissing
from racing.runner import ModelRejected, PlatformFault
from racing.submissions import QuotaExceeded, SubmissionRejected, submission_create
from racing.uploads import model_upload
from web.middleware import upload_limit_bytes, upload_too_large_message

from . import errors
from .pagination import page_response, paginated
from .parsers import UploadParser, missing_file_reason
from .permissions import found_or_404, result_or_404
from .serializers import (
    ModelOutput,
    ModelRenameInput,
    ModelUploadInput,
    ResultOutput,
    SubmissionInput,
    SubmissionOutput,
)
from .throttles import WriteRateThrottle

PLATFORM_BUSY = {
    "detail": "The model check could not run on our side; nothing was stored. Try again shortly."
}


class ModelListApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "upload"
    parser_classes = [UploadParser, FormParser]

    @extend_schema(operation_id="models_list", responses={200: paginated(ModelOutput)}, tags=["models"])
    def get(self, request):
        racer = racer_for_user(request.user)
        return page_response(self, request, selectors.models_of(racer), ModelOutput)

    @extend_schema(
        request={"multipart/form-data": ModelUploadInput},
        responses={
            201: ModelOutput,
            400: errors.bad_request(
                "{field: [messages]}: what is wrong with the package, or why its files did not "
                "arrive (sent chunked, a file name that is not UTF-8); nothing stored."
            ),
            503: errors.detail(
                "No check could start now (your previous upload is still being checked, or the "
                "server is checking others: retry after `Retry-After` seconds), or the check "
                "failed on our side. Nothing stored."
            ),
        },
        tags=["models"],
        description=(
            "Upload `onnx` (model.onnx, at most 50 MiB by default) and `metadata` "
            "(model_metadata.json) with a `name`, or instead an `archive`: a DeepRacer console "
            "export (.tar.gz with a frozen TensorFlow graph), converted to ONNX on the way in. "
            "The package is checked at once, including a trial inference."
        ),
    )
    def post(self, request):
        racer = racer_for_user(request.user)
        # Refuse a body far over the cap before it is parsed (and spooled to disk).
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > upload_limit_bytes():
            return Response({"onnx": [upload_too_large_message()]}, status=status.HTTP_400_BAD_REQUEST)
        data = ModelUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        archive = data.validated_data.get("archive")
        for field in ("archive",) if archive is not None or "archive" in request.FILES else ("onnx", "metadata"):
            reason = data.validated_data.get(field) is None and missing_file_reason(request, field)
            if reason:
                return Response({field: [reason]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            model = model_upload(
                owner=racer,
                name=data.validated_data.get("name", ""),
                onnx_file=data.validated_data.get("onnx"),
                metadata_file=data.validated_data.get("metadata"),
                archive_file=archive,
            )
        except ModelRejected as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        except ChecksBusy as exc:
            return Response(
                {"detail": exc.message},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(exc.retry_after_s)},
            )
        except PlatformFault:
            return Response(
                PLATFORM_BUSY, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"}
            )
        return Response(ModelOutput(model).data, status=status.HTTP_201_CREATED)


NO_SUCH_MODEL = errors.detail(
    "No such model of yours: another racer's, one you deleted, or none with that id (the same answer)."
)


class ModelDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _model(self, request, model_id: int) -> PolicyModel:
        return found_or_404(selectors.models_of(racer_for_user(request.user)), "You have no model with this id.", pk=model_id)

    @extend_schema(responses={200: ModelOutput, 404: NO_SUCH_MODEL}, tags=["models"])
    def get(self, request, model_id: int):
        return Response(ModelOutput(self._model(request, model_id)).data)

    @extend_schema(
        request=ModelRenameInput,
        responses={
            200: ModelOutput,
            400: errors.bad_request("{name: [message]}: empty, longer than 80 characters, or the name of "
                                    "another of your models."),
            404: NO_SUCH_MODEL,
        },
        tags=["models"],
        description="Rename one of your models.",
    )
    def patch(self, request, model_id: int):
        model = self._model(request, model_id)
        data = ModelRenameInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            model_rename(model, data.validated_data["name"])
        except DjangoValidationError as exc:
            return Response(errors.field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(ModelOutput(model).data)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Deleted: a model never entered in a race goes with its file; "
                                 "one that raced is archived (its runs stay on the boards with their "
                                 "replays). Either way it is gone from your models."),
            401: errors.NOT_SIGNED_IN,
            404: NO_SUCH_MODEL,
            409: errors.detail("A run of this model is queued or racing; delete it once they are over."),
        },
        tags=["models"],
    )
    def delete(self, request, model_id: int):
        model = self._model(request, model_id)
        try:
            model_delete(model)
        except ModelBusy as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubmissionListApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="submissions_list", responses={200: paginated(SubmissionOutput)}, tags=["submissions"])
    def get(self, request):
        racer = racer_for_user(request.user)
        return page_response(self, request, selectors.submissions_of(racer), SubmissionOutput)

    @extend_schema(
        request=SubmissionInput,
        responses={
            202: SubmissionOutput,
            400: errors.bad_request("{field: [messages]}: no such model, the race is closed, a sensor "
                                    "it does not allow, the facilitator removed you, or the race is a race "
                                    "night (join its queue: POST /api/races/{id}/queue/)."),
            401: errors.NOT_SIGNED_IN,
            404: errors.bad_request("{race: [message]}: no such race, or a private race you have not joined."),
            429: errors.bad_request("Quota used up: {race: [message]}."),
        },
        tags=["submissions"],
        description="Enter one of your models in a race; it is queued and raced.",
    )
    def post(self, request):
        racer = racer_for_user(request.user)
        data = SubmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        model = selectors.models_of(racer).filter(pk=data.validated_data["model"]).first()
        # A private race the racer may not see is a race that does not exist.
        race = access.visible_races(request.user).filter(pk=data.validated_data["race"]).first()
        if race is None:
            return Response(
                {"race": [f"There is no race with id {data.validated_data['race']}."]},
                status=status.HTTP_404_NOT_FOUND,
            )
        if model is None:
            return Response(
                {"model": [f"You have no model with id {data.validated_data['model']}."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            submission = submission_create(racer=racer, model=model, race=race)
        except QuotaExceeded as exc:
            return Response(exc.errors, status=status.HTTP_429_TOO_MANY_REQUESTS)
        except SubmissionRejected as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        submission = selectors.submission_get_for(racer, submission.pk)
        return Response(
            SubmissionOutput(submission, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class SubmissionDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: SubmissionOutput}, tags=["submissions"])
    def get(self, request, submission_id: int):
        racer = racer_for_user(request.user)
        submission = found_or_404(selectors.submissions_of(racer), "You have no submission with this id.", pk=submission_id)
        return Response(SubmissionOutput(submission, context={"request": request}).data)


class SubmissionReplayApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("download", OpenApiTypes.BOOL,
                                     description="1: ask the browser to save the file (attachment).")],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The replay of a failed run up to its failure, in the format of a result's "
                "replay (`columns`, `trajectory`, `events`, `result`, `track` with its geometry) with "
                "`meta.failure` saying where and when it failed.",
            ),
            404: errors.detail("No such submission of yours, or it did not fail, or the sandbox ended it "
                               "before the simulator could write a replay."),
        },
        tags=["submissions"],
    )
    def get(self, request, submission_id: int):
        racer = racer_for_user(request.user)
        submission = found_or_404(selectors.submissions_of(racer), "You have no submission with this id.", pk=submission_id)
        if submission.status != submission.Status.FAILED:
            raise NotFound("This submission did not fail: its replay is its result's.")
        try:
            payload = failures.partial_replay_payload(submission)
        except ReplayMissing:
            raise NotFound("This failed run has no replay: the sandbox ended it before the simulator "
                           "could write one (see `failure.kind`).") from None
        response = HttpResponse(json.dumps(payload, separators=(",", ":")), content_type="application/json")
        response["Cache-Control"] = "private, max-age=300"
        if request.GET.get("download", "").lower() in ("1", "true", "yes"):
            response["Content-Disposition"] = f'attachment; filename="submission-{submission.pk}-replay.json"'
        return response


class ResultDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={200: ResultOutput, 404: errors.detail("No such result, or one of a private race you have not joined.")},
        tags=["results"],
        description="Every figure of the run. `replay_url`, `video_url` and `simtrace_url` are null "
        "where the race's replay setting does not show you this run's replay.",
    )
    def get(self, request, result_id: int):
        result = result_or_404(request, result_id)
        return Response(ResultOutput(result, context={"request": request}).data)


