"""The event log of the embedded live updates (no Redis).

A publisher (a worker, a web request) inserts one row per message, inside the
transaction of the change it reports, so a rolled-back change leaves nothing behind.
Each web process runs one poller that reads the rows after the last id it has seen
(one indexed query per interval, whatever the number of open sockets) and fans them out
to its websockets through the in-memory channel layer. Rows older than a few minutes
are deleted by the pollers; nothing reads them after that.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LiveEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    group = models.CharField(max_length=100, help_text="Channel-layer group, e.g. race_12.")
    payload = models.JSONField(help_text="The JSON message sent to the group's sockets.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.group} {self.payload.get('type', '')}"
