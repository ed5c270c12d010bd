"""A track's page: the command that races it at home names what `--track` takes there,
the shipped track's name or an uploaded track's downloaded file."""

from __future__ import annotations

import html as htmllib

import pytest
from django.urls import reverse

from tests import factories as F
from tests.simulator.builders import npy_bytes, stadium
from tracks.services import track_upload

pytestmark = pytest.mark.django_db


def page(client, slug: str) -> str:
    response = client.get(reverse("track", args=[slug]))
    assert response.status_code == 200
    return htmllib.unescape(response.content.decode())


def test_an_uploaded_tracks_command_names_its_downloaded_file_and_links_it(client):
    fran = F.facilitator("Fran")
    track = track_upload(user=fran.user, name="Bad Open", data=npy_bytes(stadium()))
    client.force_login(fran.user)

    html = page(client, track.slug)

    assert "\\\n  --track bad-open.npy</code>" in html and "--track bad-open<" not in html
    download = reverse("track-file", args=["bad-open"])
    assert f"with this track's file <a href=\"{download}\" download=\"bad-open.npy\">bad-open.npy</a>" in html
    assert client.get(download).status_code == 200  # the link works for who sees the page


def test_a_shipped_tracks_command_names_it_by_its_slug(client):
    track = F.track("oval-loop")

    html = page(client, track.slug)

    assert "\\\n  --track oval-loop</code>" in html
    assert "with this track's file" not in html  # nothing to download first: it ships with the simulator
