from django.apps import AppConfig


class WebConfig(AppConfig):
    """The HTML pages (templates live in league/templates, static files in league/static)."""

    name = "league.web"
    label = "web"
    verbose_name = "League pages"
