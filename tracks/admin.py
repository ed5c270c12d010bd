from django.contrib import admin

from .models import Track


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "length_m", "min_width_m", "waypoints", "is_shipped"]
    search_fields = ["name", "slug"]
    readonly_fields = ["sha256", "length_m", "min_width_m", "max_width_m", "waypoints", "clockwise"]
