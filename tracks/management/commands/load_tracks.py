"""Load the shipped tracks (idempotent), or import DeepRacer track files."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from simulator.track import TrackError
from tracks.services import track_import, tracks_load_shipped


class Command(BaseCommand):
    help = (
        "Without files: load the tracks shipped in tracks/data/ (running it again changes "
        "nothing). With files: import DeepRacer .npy track files."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="DeepRacer .npy files, (N, 6) waypoints")
        parser.add_argument("--name", help="track name (one file only; default: file name)")
        parser.add_argument("--slug", help="track slug (one file only; default: from the name)")
        parser.add_argument("--description", default="")

    def handle(self, *args, files, name, slug, description, **options):
        if not files:
            loaded = tracks_load_shipped()
            if not loaded:
                raise CommandError("no shipped tracks found in tracks/data/catalog.json")
            for track, changed in loaded:
                self.stdout.write(f"{'loaded ' if changed else 'unchanged'} {track.slug}: {track.name}")
            return
        if (name or slug) and len(files) > 1:
            raise CommandError("--name and --slug need exactly one file")
        failed = False
        for file in files:
            path = Path(file)
            try:
                if not path.is_file():
                    raise TrackError(f"{file} does not exist")
                track, changed = track_import(
                    data=path.read_bytes(),
                    name=name or path.stem.replace("_", " ").title(),
                    slug=slug or "",
                    description=description,
                )
            except TrackError as exc:
                failed = True
                self.stderr.write(f"refused {file}: {exc}")
                continue
            self.stdout.write(
                f"{'imported' if changed else 'unchanged'} {track.slug}: {track.name} "
                f"({track.length_m:.1f} m, {track.waypoints} waypoints)"
            )
        if failed:
            raise CommandError("some track files were refused (see above)")
