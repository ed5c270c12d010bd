from django.contrib import admin
from django.db.models import Count, Q

from simulator import SIMULATOR_VERSION

from .models import PolicyModel, RaceBoard, RaceStanding, Result, SeasonStanding, Submission
from .rerace import race_rerace


@admin.register(PolicyModel)
class PolicyModelAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "action_space_type", "size_bytes", "created_at"]
    search_fields = ["name", "owner__alias", "sha256"]
    raw_id_fields = ["owner"]
    readonly_fields = ["sha256", "sensors", "action_space_type", "action_count", "size_bytes", "info"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "racer", "model", "race", "status", "attempts", "created_at"]
    list_filter = ["status", "race__season"]
    search_fields = ["racer__alias", "model__name"]
    raw_id_fields = ["racer", "model", "race"]
    list_select_related = ["racer", "model", "race__season", "race__track"]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ["id", "racer", "race", "status", "official_time_s", "laps_completed", "video_status"]
    list_filter = ["status", "video_status", "race__season"]
    raw_id_fields = ["submission", "race", "racer"]
    list_select_related = ["racer", "race__season", "race__track"]


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


@admin.register(RaceBoard)
class RaceBoardAdmin(admin.ModelAdmin):
    list_display = ["__str__", "season", "entries", "other_version"]
    list_select_related = ["season", "track"]
    actions = ["rerace"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            entries=Count("standings"),
            other_version=Count("standings", filter=~Q(standings__result__simulator_version=SIMULATOR_VERSION)),
        )

    @admin.display(ordering="entries", description="Entries")
    def entries(self, race):
        return race.entries

    @admin.display(ordering="other_version", description="Raced on another version")
    def other_version(self, race):
        return race.other_version

    @admin.action(description=f"Re-race the entries raced on another version (on simulator {SIMULATOR_VERSION})")
    def rerace(self, request, queryset):
        queued = sum(race_rerace(race) for race in queryset)
        self.message_user(request, f"{queued} re-race(s) queued on simulator {SIMULATOR_VERSION}.")
