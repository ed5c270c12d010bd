"""Open a season (creating it with one race per track if it does not exist); the season
that was open closes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from league.models import RACE_DEFAULTS, Season
from league.services import SeasonClosed, season_create, season_open
from simulator.params import TIMING_METHODS
from tracks.models import Track
from tracks.services import tracks_load_shipped


class Command(BaseCommand):
    help = (
        "Open season SLUG, creating it first (one race per track, the given rules) if it "
        "does not exist. The season that was open closes: no more submissions, boards frozen."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", help="season name (default: from the slug)")
        parser.add_argument("--tracks", help="comma-separated track slugs (default: every track)")
        parser.add_argument("--laps", type=int, default=RACE_DEFAULTS.laps)
        parser.add_argument(
            "--penalty", type=float, default=RACE_DEFAULTS.off_track_penalty_s, help="off-track penalty, s"
        )
        parser.add_argument("--timing", default=RACE_DEFAULTS.timing_method, choices=TIMING_METHODS)
        parser.add_argument("--time-cap", type=float, default=RACE_DEFAULTS.time_cap_s, help="time cap, s")
        parser.add_argument("--sensors", help="comma-separated allowed sensors (default: all)")
        parser.add_argument("--daily-quota", type=int)
        parser.add_argument("--total-quota", type=int)

    def handle(self, *args, slug, name, tracks, laps, penalty, timing, time_cap, sensors,
               daily_quota, total_quota, **options):
        season = Season.objects.filter(slug=slug).first()
        if season is None:
            if not Track.objects.exists():
                tracks_load_shipped()
            if tracks:
                wanted = [t.strip() for t in tracks.split(",") if t.strip()]
                found = {t.slug: t for t in Track.objects.filter(slug__in=wanted)}
                missing = [t for t in wanted if t not in found]
                if missing:
                    known = ", ".join(Track.objects.values_list("slug", flat=True))
                    raise CommandError(f"unknown track(s) {', '.join(missing)}; known: {known}")
                track_list = [found[t] for t in wanted]
            else:
                track_list = list(Track.objects.order_by("name"))
            if not track_list:
                raise CommandError("no tracks: run `manage.py load_tracks` first")
            kwargs = {}
            if sensors:
                kwargs["allowed_sensors"] = [s.strip() for s in sensors.split(",") if s.strip()]
            try:
                season = season_create(
                    slug=slug,
                    name=name or "",
                    tracks=track_list,
                    laps=laps,
                    timing_method=timing,
                    off_track_penalty_s=penalty,
                    time_cap_s=time_cap,
                    daily_quota=daily_quota,
                    total_quota=total_quota,
                    **kwargs,
                )
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
            self.stdout.write(f"created season {season.slug} with {len(track_list)} race(s)")
        previous = list(Season.objects.filter(status=Season.Status.OPEN).exclude(pk=season.pk))
        try:
            season_open(season)
        except SeasonClosed as exc:
            raise CommandError(exc.message) from None
        for old in previous:
            self.stdout.write(f"closed season {old.slug}")
        self.stdout.write(f"season {season.slug} is open")
