"""The OpenAPI schema documents the answers the API really gives: the paginated envelopes
with their page parameters, 400/401/403/404 where they happen, 429 on every rate-limited
write and 503 on a busy upload, each with Retry-After; spot-checked against real calls."""

from __future__ import annotations

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    return client.get("/api/schema/?format=json").json()


def responses(schema, path: str, method: str) -> dict:
    return schema["paths"][path][method]["responses"]


def test_auth_calls_document_their_lockouts_and_limits(schema):
    token = responses(schema, "/api/auth/token/", "post")
    signup = responses(schema, "/api/auth/signup/", "post")
    assert set(token) == {"200", "400", "415", "429"} and set(signup) == {"201", "400", "415", "429"}
    for answer in (token["429"], signup["429"]):
        assert "Retry-After" in answer["headers"]
        assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/DetailOutput")


def test_the_upload_documents_every_refusal(schema):
    upload = responses(schema, "/api/models/", "post")
    assert set(upload) == {"201", "400", "401", "413", "415", "429", "503"}
    assert "Retry-After" in upload["503"]["headers"] and "Retry-After" in upload["429"]["headers"]
    assert "not UTF-8" in upload["400"]["description"]


@pytest.mark.parametrize("path", ["/api/models/", "/api/races/{race_id}/leaderboard/", "/api/submissions/",
                                  "/api/seasons/{slug}/standings/", "/api/races/"])  # fmt: skip
def test_lists_document_their_page_envelope_and_parameters(schema, path):
    operation = schema["paths"][path]["get"]
    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
    assert envelope["properties"]["results"]["type"] == "array"
    assert {"400", "404"} <= set(operation["responses"])


def test_sign_in_ids_and_rate_limits_are_documented_everywhere(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if "{" in path:  # an id or slug that may name nothing
                assert "404" in operation["responses"], (method, path)
    assert "401" in responses(schema, "/api/models/", "get")
    assert {"401", "403"} <= set(responses(schema, "/api/seasons/{slug}/open/", "post"))
    for path, method in [("/api/races/", "post"), ("/api/tracks/", "post"), ("/api/races/join/", "post")]:
        assert "429" in responses(schema, path, method)


def test_the_documented_answers_are_the_real_ones(client, api, schema):
    race = f.race()
    board = f"/api/races/{race.pk}/leaderboard/"
    assert "400" in responses(schema, "/api/races/{race_id}/leaderboard/", "get")
    bad_page = client.get(board, {"page": "zero"})
    assert bad_page.status_code == 400 and "page" in bad_page.json()
    assert client.get(board, {"page": 99}).status_code == 404
    assert client.get("/api/races/999999/leaderboard/").status_code == 404
    assert client.get("/api/models/").status_code == 401
    racer = f.racer()
    api.force_authenticate(racer.user)
    assert api.post(f"/api/seasons/{race.season.slug}/open/").status_code == 403
