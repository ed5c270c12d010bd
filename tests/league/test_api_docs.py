import pytest

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
    assert "/api/submissions/" in html and "https://" not in html.split("<body>")[0]
