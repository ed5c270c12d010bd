"""Track records: the waypoint file every race runs on, its key figures and an image."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Track(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    difficulty = models.CharField(max_length=30, blank=True)
    # The DeepRacer (N, 6) waypoint file, copied into media storage so that every worker
    # (on any machine) reads the same bytes.
    file = models.FileField(upload_to="tracks/")
    sha256 = models.CharField(max_length=64)
    image = models.ImageField(upload_to="tracks/images/", blank=True)
    length_m = models.FloatField()
    min_width_m = models.FloatField()
    max_width_m = models.FloatField()
    waypoints = models.PositiveIntegerField()
    clockwise = models.BooleanField(default=False)
    is_shipped = models.BooleanField(default=False, help_text="Shipped in tracks/data/.")
    # Everyone's track list: shipped and admin tracks, and uploads an admin promoted.
    is_public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="tracks_uploaded",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
