from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top layer: the HTML pages (web/pages, templates, static files) and the API
    (web/api)."""

    name = "web"
    label = "web"
    verbose_name = "Pages and API"
