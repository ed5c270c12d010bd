from django.contrib import admin, messages

from . import access, community, services
from .models import Race, RaceEntrant, Racer, Season


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
        try:
            services.season_open(season)
        except services.SeasonClosed as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"{season.name} is open; the previous season is closed.")

    @admin.action(description="Close the selected seasons")
    def close_season(self, request, queryset):
        for season in queryset:
            services.season_close(season)
        self.message_user(request, f"Closed {queryset.count()} season(s).")


@admin.register(Race)
class RaceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "season", "owner", "track", "visibility", "laps", "timing_method", "daily_quota", "total_quota"]
    list_filter = ["season", "visibility", "timing_method"]
    list_select_related = ["season", "track", "owner"]
    raw_id_fields = ["owner"]


@admin.register(Racer)
class RacerAdmin(admin.ModelAdmin):
    list_display = ["alias", "user", "is_house", "facilitator", "created_at"]
    search_fields = ["alias", "user__username"]
    raw_id_fields = ["user"]
    actions = ["grant_facilitator", "revoke_facilitator"]

    @admin.display(boolean=True, description="Facilitator")
    def facilitator(self, racer):
        return access.is_facilitator(racer.user)

    @admin.action(description="Grant the facilitator role (create and run community races)")
    def grant_facilitator(self, request, queryset):
        for racer in queryset.select_related("user"):
            community.role_grant(racer.user, "facilitator")
        self.message_user(request, f"{queryset.count()} racer(s) can now run community races.")

    @admin.action(description="Revoke the facilitator role")
    def revoke_facilitator(self, request, queryset):
        for racer in queryset.select_related("user"):
            community.role_revoke(racer.user, "facilitator")
        self.message_user(request, f"{queryset.count()} racer(s) no longer run community races.")


@admin.register(RaceEntrant)
class RaceEntrantAdmin(admin.ModelAdmin):
    list_display = ["race", "racer", "joined_at", "removed_at"]
    list_select_related = ["race__season", "race__track", "racer"]
    raw_id_fields = ["race", "racer"]
