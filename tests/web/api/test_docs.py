import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_schema_and_docs_page_without_cdn(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for p in ("/api/auth/signup/", "/api/models/", "/api/submissions/", "/api/races/{race_id}/leaderboard/",
              "/api/seasons/{slug}/open/", "/api/tracks/{slug}/"):
        assert p in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/api/schema/" in html  # Swagger UI reads the schema above
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets  # no CDN
    for asset in assets:  # each one shipped in our own static files
        assert finders.find(asset.removeprefix(settings.STATIC_URL).split("?")[0]), asset
    assert client.get("/api/docs/redoc/").status_code == 200
