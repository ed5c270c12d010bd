from django.apps import AppConfig


class NightsConfig(AppConfig):
    """Race nights: a live race's settings, its queue and its runs, and the worker task
    that drives them (between racing, which races and records, and live, which streams)."""

    name = "nights"
    label = "nights"
    verbose_name = "Race nights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Racing cannot import us: a live run's submission is left to nights/recovery.py by
        # the classic reclaim, which then asks us to reclaim our own.
        from racing.signals import reclaim_due  # models load after the apps
        from racing.worker import RECLAIMED_ELSEWHERE  # same reason

        from .recovery import LIVE_SUBMISSIONS, nights_reclaim  # same reason

        if LIVE_SUBMISSIONS not in RECLAIMED_ELSEWHERE:
            RECLAIMED_ELSEWHERE.append(LIVE_SUBMISSIONS)
        reclaim_due.connect(nights_reclaim, dispatch_uid="nights.reclaim")
