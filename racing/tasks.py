"""Queue tasks (django-tasks API, django-tasks-db backend; `manage.py db_worker` runs them)."""

from __future__ import annotations

from django_tasks import task


@task()
def race_submission(submission_id: int) -> str:
    """Race a queued submission and store its outcome (see services.submission_race)."""
    from .services import submission_race

    return str(submission_race(submission_id))
