from django.contrib import admin

from . import services
from .models import Track


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "length_m", "min_width_m", "waypoints", "is_shipped", "is_public", "uploaded_by"]
    list_filter = ["is_public", "is_shipped"]
    search_fields = ["name", "slug"]
    raw_id_fields = ["uploaded_by"]
    actions = ["promote"]

    @admin.action(description="Put the selected tracks on everyone's track list")
    def promote(self, request, queryset):
        for track in queryset:
            services.track_promote(track)
        self.message_user(request, f"{queryset.count()} track(s) on everyone's list.")
    readonly_fields = ["sha256", "length_m", "min_width_m", "max_width_m", "waypoints", "clockwise"]
