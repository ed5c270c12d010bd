from django.contrib import admin, messages

from . import services
from .models import Race, Racer, RaceStanding, Season, SeasonStanding


class RaceInline(admin.TabularInline):
    model = Race
    extra = 0
    fields = [
        "track", "order", "laps", "timing_method", "off_track_penalty_s", "time_cap_s",
        "allowed_sensors", "opens_at", "closes_at", "daily_quota", "total_quota",
    ]  # fmt: skip


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "opened_at", "closed_at"]
    list_filter = ["status"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["status", "opened_at", "closed_at"]
    inlines = [RaceInline]
    actions = ["open_season", "close_season"]

    @admin.action(description="Open the selected season (closes the open one)")
    def open_season(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one season to open.", messages.ERROR)
            return
        season = queryset.get()
        if season.status == Season.Status.CLOSED:
            self.message_user(
                request, f"{season.name} is closed; only a draft season can be opened.", messages.ERROR
            )
            return
        services.season_open(season)
        self.message_user(request, f"{season.name} is open; the previous season is closed.")

    @admin.action(description="Close the selected seasons")
    def close_season(self, request, queryset):
        for season in queryset:
            services.season_close(season)
        self.message_user(request, f"Closed {queryset.count()} season(s).")


@admin.register(Race)
class RaceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "season", "track", "laps", "timing_method", "daily_quota", "total_quota"]
    list_filter = ["season", "timing_method"]
    list_select_related = ["season", "track"]


@admin.register(Racer)
class RacerAdmin(admin.ModelAdmin):
    list_display = ["alias", "user", "is_house", "created_at"]
    search_fields = ["alias", "user__username"]
    raw_id_fields = ["user"]


@admin.register(RaceStanding)
class RaceStandingAdmin(admin.ModelAdmin):
    list_display = ["race", "rank", "racer", "time_s", "laps", "submissions", "points"]
    list_filter = ["race__season"]
    list_select_related = ["race__season", "race__track", "racer"]
    raw_id_fields = ["race", "racer", "result"]


@admin.register(SeasonStanding)
class SeasonStandingAdmin(admin.ModelAdmin):
    list_display = ["season", "rank", "racer", "points", "races", "wins"]
    list_filter = ["season"]
    list_select_related = ["season", "racer"]
    raw_id_fields = ["season", "racer"]
