"""The league: Django project package (settings, urls, asgi) and the league domain."""
