"""Race-night API: a race's live settings, its queue, and the facilitator's controls.
Thin views: nights/queue.py and nights/control.py hold the rules, league/access.py who
may do what (a private race answers 404 to outsiders, a visible one 403 to non-managers).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from league import access
from league.services import racer_for_user
from nights import control, selectors
from nights.models import LiveRace, QueueEntry
from nights.queue import QueueError, queue_join, queue_move, queue_readmit, queue_remove
from racing.models import PolicyModel

from . import errors
from .night_serializers import (
    LiveOutput,
    LiveSettingsInput,
    QueueChangeInput,
    QueueEntryOutput,
    QueueJoinInput,
    QueueOutput,
    SpeedInput,
    SpeedOutput,
)
from .permissions import managed_race_or_404, race_or_404
from .throttles import WriteRateThrottle

NOT_LIVE = "This race is not a live race: its facilitator makes it one with PUT /api/races/{id}/live/."
REFUSED = errors.bad_request("{detail: message}: the change does not apply now; the message says why.")
NO_LIVE_RACE = errors.detail("No such race, a private race you may not see, or a race that is not live.")


def _live_or_404(race) -> LiveRace:
    live = selectors.live_race_get(race)
    if live is None:
        raise NotFound(NOT_LIVE)
    return live


def _refused(exc: QueueError) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _live_output(live: LiveRace) -> Response:
    return Response(LiveOutput(live).data)


class LiveSettingsApi(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "races"

    @extend_schema(responses={200: LiveOutput, 404: NO_LIVE_RACE}, tags=["race nights"],
                   description="A live race's settings and state (waiting, running, paused, ended).")
    def get(self, request, race_id: int):
        return _live_output(_live_or_404(race_or_404(request, race_id)))

    @extend_schema(request=LiveSettingsInput, responses=errors.manager_responses(LiveOutput, bad=REFUSED),
                   tags=["race nights"],
                   description="The race's facilitator and admins. Make the race live (a race night: racers "
                               "queue and run one after another in real time) or classic, and set the countdown, "
                               "the racers' speed control and the start.")
    def put(self, request, race_id: int):
        race = managed_race_or_404(request, race_id)
        data = LiveSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            return _live_output(control.live_settings_set(race, **data.validated_data))
        except QueueError as exc:
            return _refused(exc)


class QueueApi(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "races"

    @extend_schema(responses={200: QueueOutput, 404: NO_LIVE_RACE}, tags=["race nights"],
                   description="Who is up, who waits (in order) and who raced.")
    def get(self, request, race_id: int):
        live = _live_or_404(race_or_404(request, race_id))
        return Response(QueueOutput({"state": live.state, "entries": selectors.queue_rows(live)}).data)

    @extend_schema(request=QueueJoinInput,
                   responses={201: QueueEntryOutput, 400: REFUSED, 401: errors.NOT_SIGNED_IN, 404: NO_LIVE_RACE},
                   tags=["race nights"],
                   description="Join the queue with one of your models; it is checked at once (yours, not "
                               "archived, sensors the race allows).")
    def post(self, request, race_id: int):
        race = race_or_404(request, race_id)
        live = _live_or_404(race)
        data = QueueJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        racer = racer_for_user(request.user)
        model = PolicyModel.objects.filter(pk=data.validated_data["model"], owner=racer).first()
        if model is None:
            return Response({"model": ["You have no model with this id: see GET /api/models/."]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            entry = queue_join(race=live.race, racer=racer, model=model)
        except QueueError as exc:
            return _refused(exc)
        return Response(QueueEntryOutput(entry).data, status=status.HTTP_201_CREATED)


def _managed_entry(request, race_id: int, entry_id: int) -> QueueEntry:
    live = _live_or_404(managed_race_or_404(request, race_id))
    entry = live.entries.select_related("racer", "live_race").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("No such entry in this race's queue.")
    return entry


class QueueEntryApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "races"

    @extend_schema(request=QueueChangeInput, responses=errors.manager_responses(QueueEntryOutput, bad=REFUSED),
                   tags=["race nights"],
                   description="The race's facilitator and admins. Move a waiting racer (`place`, 1 = next) "
                               "or re-admit one (`readmit`: back at the end of the queue).")
    def patch(self, request, race_id: int, entry_id: int):
        entry = _managed_entry(request, race_id, entry_id)
        data = QueueChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            if data.validated_data.get("readmit"):
                entry = queue_readmit(entry)
            if "place" in data.validated_data:
                entry = queue_move(entry, data.validated_data["place"])
        except QueueError as exc:
            return _refused(exc)
        return Response(QueueEntryOutput(entry).data)

    @extend_schema(responses=errors.manager_responses(QueueEntryOutput, bad=REFUSED), tags=["race nights"],
                   description="The race's facilitator and admins. Take a waiting racer out of the queue.")
    def delete(self, request, race_id: int, entry_id: int):
        try:
            entry = queue_remove(_managed_entry(request, race_id, entry_id))
        except QueueError as exc:
            return _refused(exc)
        return Response(QueueEntryOutput(entry).data)


class QueueRerunApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses=errors.manager_responses(QueueEntryOutput, bad=REFUSED),
                   tags=["race nights"],
                   description="The race's facilitator and admins. A racer whose run ended in a platform error "
                               "races again, next.")
    def post(self, request, race_id: int, entry_id: int):
        try:
            entry = control.entry_rerun(_managed_entry(request, race_id, entry_id))
        except QueueError as exc:
            return _refused(exc)
        return Response(QueueEntryOutput(entry).data)


def _control_view(action, description: str):
    class ControlApi(APIView):
        permission_classes = [permissions.IsAuthenticated]

        @extend_schema(request=None, responses=errors.manager_responses(LiveOutput, bad=REFUSED),
                       tags=["race nights"], operation_id=f"races_live_{action.__name__.split('_')[-1]}",
                       description=f"The race's facilitator and admins. {description}")
        def post(self, request, race_id: int):
            live = _live_or_404(managed_race_or_404(request, race_id))
            try:
                action(live)
            except QueueError as exc:
                return _refused(exc)
            live.refresh_from_db()
            return _live_output(live)

    ControlApi.__name__ = ControlApi.__qualname__ = f"Live{action.__name__.split('_')[-1].title()}Api"
    return ControlApi


LiveStartApi = _control_view(control.night_start, "Start (or resume) the night: runs go one after another.")
LivePauseApi = _control_view(control.night_pause, "Pause after the run under way (at once if none is).")
LiveSkipApi = _control_view(control.night_skip, "Skip the racer up now: their run stops, unrecorded.")
LiveEndApi = _control_view(control.night_end, "End the night: the run under way stops, nobody else races.")
LiveReopenApi = _control_view(control.night_reopen, "Reopen a night that ended (not if the race has closed): "
                              "back to not started, the racers the end caught back in the queue; then start it.")


class LiveSpeedApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=SpeedInput,
                   responses={200: SpeedOutput, 400: REFUSED, 401: errors.NOT_SIGNED_IN,
                              403: errors.detail("It is not your run."), 404: NO_LIVE_RACE},
                   tags=["race nights"],
                   description="The racer whose run is under way, when the race allows it: the car's speed "
                               "times `multiplier` (0.5-1.5) from the next step on, recorded in the run.")
    def post(self, request, race_id: int):
        live = _live_or_404(race_or_404(request, race_id))
        data = SpeedInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = selectors.own_run(live, racer_for_user(request.user))
        if run is None:
            raise PermissionDenied("It is not your run: the slider works during your own run only.")
        try:
            run = control.speed_request(run, data.validated_data["multiplier"])
        except QueueError as exc:
            return _refused(exc)
        return Response(SpeedOutput(run).data)
