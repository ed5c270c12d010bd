from django.apps import AppConfig


class LiveConfig(AppConfig):
    """The event log that carries live updates from workers to web processes when no
    Redis is configured (the embedded default)."""

    name = "racing.live"
    label = "live"
    verbose_name = "Live updates"
    default_auto_field = "django.db.models.BigAutoField"
