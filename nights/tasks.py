"""The queue's task of a race night (run by `manage.py db_worker` like every race)."""

from django_tasks import task

from .worker import night_drive


@task()
def drive_night(race_id: int) -> str:
    """Drive the race night of this race: its queue, one paced run after another."""
    return night_drive(race_id)
