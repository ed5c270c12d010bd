"""Open a season (creating it with one race per track if it does not exist); the season
that was open closes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from league import rules
from league.community import format_errors, format_fit_errors, format_values
from league.models import RACE_DEFAULTS, Race, Season
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
            "--penalty", type=float,
            help=f"off-track penalty, s (default {RACE_DEFAULTS.off_track_penalty_s:g}; "
            f"{rules.off_track_penalty_default_s('head_to_bot'):g} with boxes or bots)",
        )  # fmt: skip
        parser.add_argument("--timing", default=RACE_DEFAULTS.timing_method, choices=TIMING_METHODS)
        parser.add_argument("--time-cap", type=float, default=RACE_DEFAULTS.time_cap_s, help="time cap, s")
        parser.add_argument("--sensors", help="comma-separated allowed sensors (default: all)")
        parser.add_argument("--daily-quota", type=int)
        parser.add_argument("--total-quota", type=int)
        formats = parser.add_argument_group("race format", "boxes to avoid or bot cars to pass (docs/organisers.md)")
        formats.add_argument("--format", default=rules.FORMAT_DEFAULTS.race_type, choices=rules.FORMATS)
        formats.add_argument("--objects", type=int, help=f"object_avoidance: boxes (default {rules.FORMAT_DEFAULTS.objects})")
        formats.add_argument("--placement", choices=rules.PLACEMENTS, help="object_avoidance: random (from the seed) or fixed")
        formats.add_argument("--fixed-positions", metavar="LANE:PCT,...",
                             help="fixed placement: each box's lane and %% of the lap, e.g. inside:20,outside:45")
        formats.add_argument("--bots", type=int, help=f"head_to_bot: bot cars (default {rules.FORMAT_DEFAULTS.bots})")
        formats.add_argument("--bot-speed", type=float, metavar="M/S",
                             help=f"head_to_bot: the bots' speed (default {rules.FORMAT_DEFAULTS.bot_speed_m_s:g})")
        formats.add_argument("--bot-lane-change", action="store_true", help="head_to_bot: bots change lanes at seeded times")
        formats.add_argument("--collision-penalty", type=float, metavar="S",
                             help=f"seconds per collision (default {rules.FORMAT_DEFAULTS.collision_penalty_s:g})")
        formats.add_argument("--seed", type=int, help="the seed of every race (default: each race draws its own)")

    def _format(self, options: dict) -> dict:
        """The race format's settings given on the command line, checked, as the model
        names them; CommandError names the fix."""
        given = {
            "format": options["format"], "object_count": options["objects"], "placement": options["placement"],
            "fixed_positions": options["fixed_positions"], "bots": options["bots"],
            "bot_speed_m_s": options["bot_speed"], "bot_lane_change": options["bot_lane_change"] or None,
            "collision_penalty_s": options["collision_penalty"], "seed": options["seed"],
        }  # fmt: skip
        values = {field: value for field, value in given.items() if value is not None}
        if values.get("fixed_positions") and "object_count" not in values:  # as the simulator's CLI
            values["object_count"] = len(values["fixed_positions"].split(","))
        errors = format_errors(values)
        if errors:
            flags = {"objects": "--objects", "bot_speed": "--bot-speed", "collision_penalty_s": "--collision-penalty",
                     "fixed_positions": "--fixed-positions", "bot_lane_change": "--bot-lane-change"}  # fmt: skip
            raise CommandError("; ".join(f"{flags.get(k, '--' + k)}: {' '.join(v)}" for k, v in errors.items()))
        return format_values(values)

    def handle(self, *args, slug, name, tracks, laps, penalty, timing, time_cap, sensors,
               daily_quota, total_quota, **options):
        race_format = self._format(options)
        if penalty is None:
            penalty = rules.off_track_penalty_default_s(race_format["format"])
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
            for track in track_list:
                problems = format_fit_errors(Race(track=track, **race_format))
                if problems:
                    raise CommandError(f"track {track.slug}: " + " ".join(m for ms in problems.values() for m in ms))
            try:
                # The season and its races' format in one step: all of it, or nothing.
                with transaction.atomic():
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
                    for race in season.races.all():
                        for field, value in race_format.items():
                            setattr(race, field, value)
                        race.save(update_fields=list(race_format))
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
