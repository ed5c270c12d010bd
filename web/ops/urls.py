"""The operator's endpoints at the site root (config/urls.py): probes and metrics."""

from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("readyz", views.ReadyView.as_view(), name="readyz"),
    path("metrics", views.MetricsView.as_view(), name="metrics"),
]
