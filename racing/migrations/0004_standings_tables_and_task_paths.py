"""The moved standings get racing's table names, their content types (and so their
permissions and admin log entries) follow them, and queued tasks point at where the
task functions live now."""

from django.db import migrations

# Queued tasks store the dotted path of their function.
TASK_PATHS = {
    "racing.tasks.race_submission": "racing.worker.race_submission",
    "racing.replays.render_result_video": "racing.videos.render_result_video",
}


def content_types_forward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("racestanding", "seasonstanding"):
        if not ContentType.objects.filter(app_label="racing", model=model).exists():
            ContentType.objects.filter(app_label="league", model=model).update(app_label="racing")


def content_types_backward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("racestanding", "seasonstanding"):
        if not ContentType.objects.filter(app_label="league", model=model).exists():
            ContentType.objects.filter(app_label="racing", model=model).update(app_label="league")


def _rewrite_task_paths(apps, mapping: dict[str, str]) -> None:
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in mapping.items():
        DBTaskResult.objects.filter(task_path=old, status__in=["READY", "RUNNING"]).update(task_path=new)


def task_paths_forward(apps, schema_editor):
    _rewrite_task_paths(apps, TASK_PATHS)


def task_paths_backward(apps, schema_editor):
    _rewrite_task_paths(apps, {new: old for old, new in TASK_PATHS.items()})


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("league", "0003_standings_to_racing"),
        ("racing", "0003_standings_from_league"),
    ]

    operations = [
        migrations.AlterModelTable(name="racestanding", table=None),
        migrations.AlterModelTable(name="seasonstanding", table=None),
        migrations.RunPython(content_types_forward, content_types_backward),
        migrations.RunPython(task_paths_forward, task_paths_backward),
    ]
