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
        from racing.entrants import ALSO_ON_REMOVAL  # models load after the apps
        from racing.signals import reclaim_due  # same reason
        from racing.submissions import ENTERED_ELSEWHERE  # same reason
        from racing.worker import RECLAIMED_ELSEWHERE  # same reason

        from .queue import entrant_removed, submission_refusal  # same reason
        from .recovery import LIVE_SUBMISSIONS, nights_reclaim  # same reason

        if LIVE_SUBMISSIONS not in RECLAIMED_ELSEWHERE:
            RECLAIMED_ELSEWHERE.append(LIVE_SUBMISSIONS)
        # Nor does a race night take ordinary submissions: its racers join the queue.
        if submission_refusal not in ENTERED_ELSEWHERE:
            ENTERED_ELSEWHERE.append(submission_refusal)
        # A racer removed from the race leaves its queue too (a run under way stops).
        if entrant_removed not in ALSO_ON_REMOVAL:
            ALSO_ON_REMOVAL.append(entrant_removed)
        reclaim_due.connect(nights_reclaim, dispatch_uid="nights.reclaim")
