"""Who may call what, for the API's views: the facilitator role, and lookups by id that
apply the race's visibility (league/access.py holds the rules; these only ask it).

A private race that the caller may not see is a 404 exactly like a race that does not
exist, and so are its results and replays; a race they see but may not run is a 403.
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAdminUser

from league import access
from league.models import Race
from racing import selectors
from racing.models import Result

FACILITATOR_NEEDED = (
    "Creating and running races needs the race facilitator role; ask an admin to grant it "
    "(manage.py grant_role <your user name> facilitator)."
)
NOT_MANAGER = "Only the race's facilitator or an admin can do this."
NO_SUCH_RACE = "No such race."
NO_SUCH_RESULT = "No such result."


def found_or_404(queryset, message: str, **lookup):
    """The one row `lookup` finds in `queryset`, or a 404 in words (Django's says "No
    PolicyModel matches the given query.")."""
    row = queryset.filter(**lookup).first()
    if row is None:
        raise NotFound(message)
    return row


class AdminsOnly(IsAdminUser):
    """The league's admins (staff accounts); anyone else signed in gets a 403 that says so."""

    message = "Only the league's admins (staff accounts) may do this; ask one of them."


class FacilitatorWritesOnly(BasePermission):
    """Anyone reads; facilitators and admins write (a signed-in racer without the role
    gets 403 saying how to get it; DRF answers anonymous callers 401)."""

    message = FACILITATOR_NEEDED

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or access.is_facilitator(request.user)


def mine_requested(request, view) -> bool:
    """`?mine=1`: the caller's own races or tracks, a facilitator's view (401 for an
    anonymous caller, 403 without the role)."""
    if request.query_params.get("mine", "").lower() not in ("1", "true", "yes"):
        return False
    if not request.user.is_authenticated:
        view.permission_denied(request)
    if not access.is_facilitator(request.user):
        raise PermissionDenied(FACILITATOR_NEEDED)
    return True


def race_or_404(request, race_id: int) -> Race:
    """The race, if the caller may see it."""
    race = (
        access.visible_races(request.user).select_related("season", "track", "owner").filter(pk=race_id).first()
    )
    if race is None:
        raise NotFound(NO_SUCH_RACE)
    return race


def managed_race_or_404(request, race_id: int) -> Race:
    """The race, if the caller runs it (404 if they may not even see it, else 403)."""
    race = race_or_404(request, race_id)
    if not access.can_manage(race, request.user):
        raise PermissionDenied(NOT_MANAGER)
    return race


def result_or_404(request, result_id: int, *, replay: bool = False) -> Result:
    """The result, if the caller may see its race (and with `replay`, its replay, video
    and trace). Every refusal is the body of a missing result."""
    try:
        result = selectors.result_get(result_id)
    except Result.DoesNotExist:
        raise NotFound(NO_SUCH_RESULT) from None
    visible = (
        access.replay_visible_to(result.race, result.racer_id, request.user)
        if replay
        else access.race_visible_to(result.race, request.user)
    )
    if not visible:
        raise NotFound(NO_SUCH_RESULT)
    return result


def publicly_cacheable(race: Race) -> bool:
    """Whether a shared cache may keep what a race shows to everyone (its replays)."""
    return race.visibility != Race.Visibility.PRIVATE and race.replay_visibility == Race.ReplayVisibility.EVERYONE
