"""Set up the demo league (idempotent): tracks, an open demo season with a race per
shipped track, an admin account, and the house drivers entered in every race through
the real upload and submission services (a running `db_worker` races them)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from league.community import community_race_create
from league.models import Race, Racer, Season
from league.services import season_create, season_open
from racing.models import PolicyModel, Submission
from racing.runner import ModelRejected, PlatformFault
from racing.submissions import SubmissionRejected, submission_create
from racing.uploads import model_upload
from simulator.drivers import house_drivers
from tracks.models import Track
from tracks.services import tracks_load_shipped

DEMO_SLUG = "demo"
COMMUNITY_NAME = "Meet-up Sprint"
DEFAULT_ADMIN_USERNAME = "admin"
DEFAULT_ADMIN_PASSWORD = "admin"  # documented in the README; set DEMO_ADMIN_PASSWORD to change


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--season", default=DEMO_SLUG, help="slug of the demo season")
        parser.add_argument("--no-drivers", action="store_true", help="skip the house drivers")

    def handle(self, *args, season: str, no_drivers: bool, **options):
        for track, changed in tracks_load_shipped():
            if changed:
                self.stdout.write(f"loaded track {track.slug}")
        demo = self._season(season)
        admin = self._admin()
        community = self._community_race(admin)
        if not no_drivers:
            self._house_drivers([*demo.races.select_related("season", "track"), community])
        self.stdout.write(self.style.SUCCESS(f"demo ready: season {demo.slug} ({demo.status})"))

    def _season(self, slug: str) -> Season:
        demo = Season.objects.filter(slug=slug).first()
        if demo is None:
            tracks = list(Track.objects.filter(is_shipped=True).order_by("name"))
            if not tracks:
                raise CommandError("no shipped tracks in tracks/data/catalog.json")
            demo = season_create(slug=slug, name="Demo Season", tracks=tracks)
            self.stdout.write(f"created season {slug} with {len(tracks)} races")
        if demo.status == Season.Status.DRAFT:
            demo = season_open(demo)
            self.stdout.write(f"opened season {slug}")
        return demo

    def _admin(self) -> Racer:
        User = get_user_model()
        username = os.environ.get("DEMO_ADMIN_USERNAME") or DEFAULT_ADMIN_USERNAME
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_superuser(username=username, password=password)
            self.stdout.write(f"admin user: {username} / password: {password}")
        else:
            self.stdout.write(
                f"admin user: {username} (exists; password as set before, by default "
                f"{DEFAULT_ADMIN_PASSWORD!r} or $DEMO_ADMIN_PASSWORD)"
            )
        racer, _ = Racer.objects.get_or_create(user=user, defaults={"alias": "Race Control"})
        return racer

    def _community_race(self, owner: Racer) -> Race:
        """One community race next to the season, as a facilitator would run it."""
        race = Race.objects.filter(season__isnull=True, name=COMMUNITY_NAME).first()
        if race is None:
            track = Track.objects.filter(slug="paperclip").first() or Track.objects.order_by("name").first()
            race = community_race_create(
                owner=owner, track=track, name=COMMUNITY_NAME,
                description="A friendly sprint the other way round: two laps, best lap counts, "
                "five off-tracks and you are out.",
                direction="clockwise", timing_method="BEST_LAP_TIME", laps=2, off_track_limit=5,
                closes_at=timezone.now() + timedelta(days=14), time_zone="Europe/London",
            )  # fmt: skip
            self.stdout.write(f"created community race {race.name!r} on {track.name}")
        return race

    def _house_drivers(self, races: list[Race]) -> None:
        try:
            known = {d.name: d for d in house_drivers()}
        except Exception:  # the folders alone are enough
            known = {}
        User = get_user_model()
        with tempfile.TemporaryDirectory(prefix="league-drivers-") as tmp:
            proc = subprocess.run(
                [sys.executable, "-m", "simulator", "drivers", "--out", tmp],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise CommandError(f"could not build the house drivers: {proc.stderr.strip()}")
            folders = sorted(p for p in Path(tmp).iterdir() if (p / "model.onnx").is_file())
            for folder in folders:
                info = known.get(folder.name)
                alias = info.alias if info else f"House {folder.name}"
                username = f"house-{folder.name}"[:150]
                with transaction.atomic():
                    user, created = User.objects.get_or_create(username=username)
                    if created:
                        user.set_unusable_password()
                        user.save()
                    racer, _ = Racer.objects.get_or_create(
                        user=user, defaults={"alias": alias, "is_house": True}
                    )
                model = PolicyModel.objects.filter(owner=racer, name=folder.name).first()
                if model is None:
                    try:
                        with open(folder / "model.onnx", "rb") as onnx_fh, open(
                            folder / "model_metadata.json", "rb"
                        ) as meta_fh:
                            model = model_upload(
                                owner=racer, name=folder.name, onnx_file=onnx_fh, metadata_file=meta_fh
                            )
                    except (ModelRejected, PlatformFault) as exc:
                        raise CommandError(f"house driver {folder.name} refused: {exc}") from exc
                    self.stdout.write(f"registered house driver {alias!r} ({folder.name})")
                for race in races:
                    if Submission.objects.filter(racer=racer, race=race).exists():
                        continue
                    if not race.accepting_submissions():
                        continue
                    try:
                        submission_create(racer=racer, model=model, race=race)
                    except SubmissionRejected as exc:
                        self.stdout.write(f"  {race.track.slug}: not entered ({exc})")
                        continue
                    self.stdout.write(f"  entered {alias!r} in {race.track.name} (queued)")
