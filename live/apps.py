from django.apps import AppConfig


class LiveConfig(AppConfig):
    """Live updates: websockets for boards, standings and submissions, fed by racing's
    announcements, and the event log that carries them from workers to web processes
    when no Redis is configured (the embedded default)."""

    name = "live"
    label = "live"
    verbose_name = "Live updates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Here, not at module level: events imports models, which load after the apps.
        from . import events, nights

        events.connect()
        nights.connect()
