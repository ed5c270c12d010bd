"""Racing API: your models, your submissions, public results. Thin views over services
and selectors."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from league.models import Race
from league.services import racer_for_user
from racing import selectors
from racing.models import PolicyModel, Result
from racing.runner import ModelRejected, PlatformFault
from racing.submissions import QuotaExceeded, SubmissionRejected, submission_create
from racing.uploads import model_upload

from .pagination import BoardPagination
from .throttles import WriteRateThrottle

from .serializers import (
    ModelOutput,
    ModelUploadInput,
    ResultOutput,
    SubmissionInput,
    SubmissionOutput,
)

PLATFORM_BUSY = {
    "detail": "The model check could not run on our side; nothing was stored. Try again shortly."
}


class ModelListApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "upload"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ModelOutput(many=True)}, tags=["models"])
    def get(self, request):
        racer = racer_for_user(request.user)
        paginator = BoardPagination()
        page = paginator.paginate_queryset(selectors.models_of(racer), request, view=self)
        return paginator.get_paginated_response(ModelOutput(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": ModelUploadInput},
        responses={
            201: ModelOutput,
            400: OpenApiResponse(description="{field: [messages]}; nothing stored"),
        },
        tags=["models"],
        description=(
            "Upload `onnx` (model.onnx, at most 50 MB) and `metadata` (model_metadata.json) "
            "with a `name`. The package is checked at once, including a trial inference."
        ),
    )
    def post(self, request):
        racer = racer_for_user(request.user)
        # Refuse a body far over the cap before it is parsed (and spooled to disk).
        limit = settings.RACING["MAX_MODEL_BYTES"] + settings.RACING["MAX_METADATA_BYTES"] + 65536
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            mb = settings.RACING["MAX_MODEL_BYTES"] // (1024 * 1024)
            return Response(
                {"onnx": [f"The upload is larger than the {mb} MB limit; use a smaller network."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = ModelUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            model = model_upload(
                owner=racer,
                name=data.validated_data.get("name", ""),
                onnx_file=data.validated_data.get("onnx"),
                metadata_file=data.validated_data.get("metadata"),
            )
        except ModelRejected as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        except PlatformFault:
            return Response(PLATFORM_BUSY, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(ModelOutput(model).data, status=status.HTTP_201_CREATED)


class ModelDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: ModelOutput}, tags=["models"])
    def get(self, request, model_id: int):
        racer = racer_for_user(request.user)
        model = get_object_or_404(selectors.models_of(racer), pk=model_id)
        return Response(ModelOutput(model).data)


class SubmissionListApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: SubmissionOutput(many=True)}, tags=["submissions"])
    def get(self, request):
        racer = racer_for_user(request.user)
        paginator = BoardPagination()
        page = paginator.paginate_queryset(selectors.submissions_of(racer), request, view=self)
        return paginator.get_paginated_response(
            SubmissionOutput(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        request=SubmissionInput,
        responses={
            202: SubmissionOutput,
            400: OpenApiResponse(description="{field: [messages]}"),
            429: OpenApiResponse(description="quota used up: {race: [message]}"),
        },
        tags=["submissions"],
        description="Enter one of your models in a race; it is queued and raced.",
    )
    def post(self, request):
        racer = racer_for_user(request.user)
        data = SubmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        model = PolicyModel.objects.filter(pk=data.validated_data["model"], owner=racer).first()
        race = Race.objects.filter(pk=data.validated_data["race"]).first()
        errors = {}
        if model is None:
            errors["model"] = [f"You have no model with id {data.validated_data['model']}."]
        if race is None:
            errors["race"] = [f"There is no race with id {data.validated_data['race']}."]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
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
        submission = get_object_or_404(selectors.submissions_of(racer), pk=submission_id)
        return Response(SubmissionOutput(submission, context={"request": request}).data)


class ResultDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: ResultOutput}, tags=["results"])
    def get(self, request, result_id: int):
        try:
            result = selectors.result_get(result_id)
        except Result.DoesNotExist:
            return Response({"detail": "No such result."}, status=status.HTTP_404_NOT_FOUND)
        return Response(ResultOutput(result, context={"request": request}).data)


