"""Websocket routes (served by config/asgi.py behind the session auth and origin checks).

Message formats: docs/live.md.
"""

from django.urls import path

from . import consumers, night_consumer

websocket_urlpatterns = [
    path("ws/races/<int:race_id>/", consumers.RaceConsumer.as_asgi(), name="ws-race"),
    path("ws/seasons/<slug:slug>/", consumers.SeasonConsumer.as_asgi(), name="ws-season"),
    path(
        "ws/submissions/<int:submission_id>/",
        consumers.SubmissionConsumer.as_asgi(),
        name="ws-submission",
    ),
    path("ws/live/<int:race_id>/", night_consumer.NightConsumer.as_asgi(), name="ws-live"),
]
