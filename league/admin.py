from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone

from simulator.params import SENSORS

from . import access, aliases, community, rules, services
from .models import Race, RaceEntrant, Racer, Season


class RaceAdminForm(forms.ModelForm):
    """A race's allowed sensors as one checkbox per sensor the simulator knows, stored in
    its order (the JSON list the model keeps)."""

    allowed_sensors = forms.MultipleChoiceField(
        choices=[(sensor, sensor) for sensor in SENSORS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one sensor: a race without one takes no model."},
        help_text="What a model entered in this race may read.",
    )

    class Meta:
        model = Race
        fields = "__all__"

    def clean_allowed_sensors(self) -> list[str]:
        chosen = set(self.cleaned_data["allowed_sensors"])
        return [sensor for sensor in SENSORS if sensor in chosen]

    def clean(self):
        """The format's settings checked as the API checks them (and against the track),
        frozen once the race opened; a new race with boxes or bots and the time trial's
        penalty left as it was gets the formats' off-track penalty."""
        data = super().clean()
        fields = [f for f in rules.FORMAT_FIELDS if f in data]
        values = {f: data[f] for f in fields}
        form_field = {rules.API_NAMES.get(f, f): f for f in fields}
        for name, messages_ in community.format_errors(values).items():
            self.add_error(form_field.get(name) if form_field.get(name) in self.fields else None, messages_)
        race = self.instance
        if race.pk and rules.race_opened(race, timezone.now()):
            for field in fields:  # compared with the race's own values, whatever the form's initial ones
                if data[field] != getattr(race, field):
                    self.add_error(field, "The race has opened: its format and settings are fixed.")
        if self.errors:
            return data
        data.update(community.format_values(values))
        if not race.pk and "off_track_penalty_s" in self.fields and "off_track_penalty_s" not in self.changed_data:
            data["off_track_penalty_s"] = rules.off_track_penalty_default_s(data.get("format", "time_trial"))
        if data.get("track") is not None:
            fitted = Race(track=data["track"], direction=data.get("direction", race.direction),
                          **{f: data.get(f, getattr(race, f)) for f in rules.FORMAT_FIELDS})  # fmt: skip
            for name, messages_ in community.format_fit_errors(fitted).items():
                self.add_error(name if name in self.fields else None, messages_)
        return data


class RaceInline(admin.TabularInline):
    model = Race
    form = RaceAdminForm
    extra = 0
    fields = [
        "track", "order", "laps", "timing_method", "off_track_penalty_s", "time_cap_s",
        "allowed_sensors", "opens_at", "closes_at", "daily_quota", "total_quota", *rules.FORMAT_FIELDS,
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
        running = Season.objects.filter(status=Season.Status.OPEN).exclude(pk=season.pk).first()
        if running is not None and season.status == Season.Status.DRAFT and request.POST.get("confirm") != "yes":
            # Closing a season freezes its boards for good: say so, and ask first.
            return TemplateResponse(
                request,
                "admin/league/season/open_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": f"Open {season.name} and close {running.name}?",
                    "opts": self.model._meta,
                    "season": season,
                    "running": running,
                    "running_races": running.races.count(),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        try:
            services.season_open(season)
        except services.SeasonClosed as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        closed = f"; {running.name} is closed, its boards frozen" if running is not None else ""
        self.message_user(request, f"{season.name} is open{closed}.")

    @admin.action(description="Close the selected seasons")
    def close_season(self, request, queryset):
        for season in queryset:
            services.season_close(season)
        self.message_user(request, f"Closed {queryset.count()} season(s).")


@admin.register(Race)
class RaceAdmin(admin.ModelAdmin):
    form = RaceAdminForm
    list_display = [
        "__str__", "season", "owner", "track", "format", "visibility", "laps", "timing_method", "daily_quota",
        "total_quota",
    ]  # fmt: skip
    list_filter = ["season", "format", "visibility", "timing_method"]
    list_select_related = ["season", "track", "owner"]
    raw_id_fields = ["owner"]


class RacerAdminForm(forms.ModelForm):
    """The alias rule of the sign-up and the API (league.services.alias_errors), applied
    when the alias (or the house mark) changes."""

    def clean(self):
        data = super().clean()
        alias = data.get("alias")
        if alias is not None and {"alias", "is_house"} & set(self.changed_data):
            if problems := services.alias_errors(alias, racer=self.instance, house=data.get("is_house", False)):
                self.add_error("alias", problems)
            else:
                data["alias"] = aliases.alias_clean(alias)
        return data


@admin.register(Racer)
class RacerAdmin(admin.ModelAdmin):
    form = RacerAdminForm
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
