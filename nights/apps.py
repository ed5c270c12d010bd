from django.apps import AppConfig


class NightsConfig(AppConfig):
    """Race nights: a live race's settings, its queue and its runs, and the worker task
    that drives them (between racing, which races and records, and live, which streams)."""

    name = "nights"
    label = "nights"
    verbose_name = "Race nights"
    default_auto_field = "django.db.models.BigAutoField"
