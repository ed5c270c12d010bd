import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db
# What a page loads (scripts, stylesheets, icons), as opposed to where its links go.
ASSET = r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"'


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
    assets = re.findall(ASSET, html)
    # Swagger UI's set-up is a script of its own (no inline script), and reads the schema.
    setup = [a for a in assets if a.startswith("/api/docs/?script")]
    assert len(setup) == 1 and "/api/schema/" in client.get(setup[0]).content.decode()
    assets.remove(setup[0])
    assert assets and all(a.startswith("/static/") for a in assets), assets  # no CDN
    for asset in assets:  # each one shipped in our own static files
        assert finders.find(asset.removeprefix(settings.STATIC_URL).split("?")[0]), asset
    redoc = client.get("/api/docs/redoc/")
    assert redoc.status_code == 200
    html = redoc.content.decode()
    assert "<script>" not in html and "googleapis" not in html and 'spec-url="/api/schema/"' in html
    for asset in re.findall(ASSET, html):
        assert asset.startswith("/static/") and finders.find(asset.removeprefix(settings.STATIC_URL)), asset


COMMUNITY_PATHS = {  # 401 on a public read: a wrong token; 415: a body of a type the call does not read
    "/api/races/": {"get": {"200", "400", "401", "403", "404"},
                    "post": {"201", "400", "401", "403", "415", "429"}},
    "/api/races/{race_id}/": {"get": {"200", "401", "404"}, "patch": {"200", "400", "401", "403", "404", "415"}},
    "/api/races/{race_id}/close/": {"post": {"200", "401", "403", "404"}},
    "/api/races/{race_id}/invite/reset/": {"post": {"200", "400", "401", "403", "404", "429"}},
    "/api/races/join/": {"post": {"200", "400", "401", "403", "404", "415", "429"}},
    "/api/races/{race_id}/racers/": {"get": {"200", "400", "401", "403", "404"}},
    "/api/races/{race_id}/racers/{alias}/remove/": {"post": {"200", "401", "403", "404"}},
    "/api/races/{race_id}/results.csv": {"get": {"200", "401", "404"}},
    "/api/races/{race_id}/results.json": {"get": {"200", "401", "404"}},
    "/api/seasons/{slug}/standings.csv": {"get": {"200", "401", "404"}},
    "/api/tracks/": {"get": {"200", "401", "403"}, "post": {"201", "400", "401", "403", "413", "415", "429"}},
}


def test_community_race_paths_document_their_errors(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path, methods in COMMUNITY_PATHS.items():
        for method, codes in methods.items():
            responses = paths[path][method]["responses"]
            assert set(responses) == codes, (path, method, set(responses))
            for code in codes - {"200", "201"}:
                assert responses[code]["description"] and responses[code]["content"], (path, method, code)
    csv = paths["/api/races/{race_id}/results.csv"]["get"]["responses"]["200"]["content"]
    assert set(csv) == {"text/csv", "application/json"}
    page = paths["/api/races/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["$ref"].endswith("PaginatedRaceList")


@pytest.mark.parametrize("url, current", [("/api/docs/", "/api/docs/"), ("/api/docs/redoc/", "/api/docs/redoc/")])
def test_docs_pages_sit_under_the_sites_bar(client, url, current):
    html = client.get(url).content.decode()
    bar = html[html.index('<header class="docs-bar">') : html.index("</header>")]
    assert 'href="/"' in bar and "Back to the league" in bar and 'href="/guide/"' in bar
    assert f'href="{current}" aria-current="page"' in bar  # which of the two renderings this is
    assert 'href="/api/schema/"' in bar
    assert "<style" not in html and 'href="/static/web/css/apidocs.css"' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_swagger_ui_uses_its_dark_mode_in_the_sites_colours(client):
    html = client.get("/api/docs/").content.decode()
    assert '<html lang="en" class="dark-mode">' in html
