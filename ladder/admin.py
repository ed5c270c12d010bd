from django.contrib import admin, messages

from .bracket import FinalsError
from .matches import finals_begin, match_rerun
from .models import Bracket, BracketMatch, LadderRules, Match, Rating


@admin.register(LadderRules)
class LadderRulesAdmin(admin.ModelAdmin):
    list_display = ("race", "start", "matches_per_hour", "finals_size")


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("race", "racer", "score", "mu", "sigma", "matches", "wins")
    list_filter = ("race",)
    readonly_fields = ("mu", "sigma", "score", "matches", "wins", "draws", "last_match_at")


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("id", "race", "racer_a", "racer_b", "status", "winner", "seed", "created_at")
    list_filter = ("status", "race")
    actions = ["rerun"]

    @admin.action(description="Re-run matches that ended in error (the platform's fault)")
    def rerun(self, request, queryset):
        for match in queryset:
            try:
                match_rerun(match)
            except ValueError as exc:
                self.message_user(request, f"match {match.pk}: {exc}", messages.WARNING)


class BracketMatchInline(admin.TabularInline):
    model = BracketMatch
    extra = 0
    readonly_fields = ("stage", "round", "index", "racer_a", "racer_b", "winner", "loser")


@admin.register(Bracket)
class BracketAdmin(admin.ModelAdmin):
    list_display = ("race", "size", "status", "champion")
    inlines = [BracketMatchInline]


def start_finals(modeladmin, request, queryset):
    for rules in queryset.select_related("race"):
        try:
            finals_begin(rules.race)
        except FinalsError as exc:
            modeladmin.message_user(request, f"{rules.race}: {exc}", messages.WARNING)


start_finals.short_description = "Start the finals now"
LadderRulesAdmin.actions = [start_finals]
