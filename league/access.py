"""Who may see and do what: facilitators, race visibility, participants and replays.

Private means invisible: whoever may not see a race gets the same answer as for a race
that does not exist (404 on pages and API, 4404 on websockets). Every view, API and
socket asks these functions, so the rules live here only.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

from tracks.models import Track

from .models import Race, RaceEntrant, Racer

FACILITATE_PERMISSION = "league.facilitate_races"
FACILITATORS_GROUP = "Race facilitators"


def facilitators_group() -> Group:
    group, created = Group.objects.get_or_create(name=FACILITATORS_GROUP)
    if created or not group.permissions.exists():
        group.permissions.add(Permission.objects.get(content_type__app_label="league", codename="facilitate_races"))
    return group


def is_facilitator(user) -> bool:
    """Admins and racers granted the facilitator role may create and run races."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.has_perm(FACILITATE_PERMISSION)


def _racer_of(user) -> Racer | None:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "racer", None)


def can_manage(race: Race, user) -> bool:
    """Admins manage every race; a facilitator the community races they run."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    racer = _racer_of(user)
    return race.is_community and racer is not None and race.owner_id == racer.pk and is_facilitator(user)


def is_participant(race: Race, racer: Racer | None) -> bool:
    if racer is None:
        return False
    return RaceEntrant.objects.filter(race=race, racer=racer, removed_at__isnull=True).exists()


def is_removed(race: Race, racer: Racer | None) -> bool:
    if racer is None:
        return False
    return RaceEntrant.objects.filter(race=race, racer=racer, removed_at__isnull=False).exists()


def race_visible_to(race: Race, user) -> bool:
    """Public and unlisted races: everyone (unlisted ones are not listed). Private races:
    their entrants, their facilitator and admins."""
    if race.visibility != Race.Visibility.PRIVATE:
        return True
    return can_manage(race, user) or is_participant(race, _racer_of(user))


def visible_races(user) -> QuerySet[Race]:
    """Every race `user` may open (for lookups by id: unlisted races included)."""
    races = Race.objects.all()
    if user is not None and user.is_authenticated and user.is_staff:
        return races
    allowed = ~Q(visibility=Race.Visibility.PRIVATE)
    racer = _racer_of(user)
    if racer is not None:
        allowed |= Q(owner=racer) | Q(entrants__racer=racer, entrants__removed_at__isnull=True)
    return races.filter(allowed).distinct()


def listed_races(user) -> QuerySet[Race]:
    """Community races to list: the public ones, and the ones `user` runs or joined."""
    races = Race.objects.filter(season__isnull=True)
    allowed = Q(visibility=Race.Visibility.PUBLIC)
    racer = _racer_of(user)
    if racer is not None:
        allowed |= Q(owner=racer) | Q(entrants__racer=racer, entrants__removed_at__isnull=True)
    return races.filter(allowed).distinct()


def replay_visible_to(race: Race, result_racer_id: int, user) -> bool:
    """A result's replay, video and trace follow the race's replay setting; a racer
    always sees their own, the facilitator and admins see all."""
    if not race_visible_to(race, user):
        return False
    if race.replay_visibility == Race.ReplayVisibility.EVERYONE or can_manage(race, user):
        return True
    racer = _racer_of(user)
    if racer is None:
        return False
    if racer.pk == result_racer_id:
        return True
    return race.replay_visibility == Race.ReplayVisibility.PARTICIPANTS and is_participant(race, racer)


def visible_tracks(user) -> QuerySet[Track]:
    """Every track `user` may open: everyone's, their own uploads, and the track of any
    race they may see (a racer in a private race needs its facilitator's track)."""
    tracks = Track.objects.all()
    if user is not None and user.is_authenticated and user.is_staff:
        return tracks
    allowed = Q(is_public=True) | Q(pk__in=visible_races(user).values("track_id"))
    if user is not None and user.is_authenticated:
        allowed |= Q(uploaded_by=user)
    return tracks.filter(allowed)
