"""Help in the site: the competitors' guide (docs/competitors.md through Python-Markdown)
and a race's rules page, which shows every setting in words and follows the race's
visibility."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from league.community import race_join
from tests import factories as F
from web.pages import markup

pytestmark = pytest.mark.django_db


# --- The guide ----------------------------------------------------------------------------


def test_guide_renders_the_competitors_doc_with_contents_and_anchors(client):
    html = client.get(reverse("guide")).content.decode()

    assert "<h1>Racing in the league: a guide for competitors</h1>" in html
    # Every second-level heading of the document, in the contents with its anchor, and in
    # the text with that id: the contents is built, not copied from the file.
    headings = re.findall(r"^## (.+)$", markup.GUIDE_PATH.read_text(), re.MULTILINE)
    contents = html[html.index('class="doc-toc"') : html.index("</nav>", html.index('class="doc-toc"'))]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', contents)
    assert [name for _, name in links] == headings
    for anchor, _ in links:
        assert f'<h2 id="{anchor}">' in html
    assert 'id="the-rules-of-a-time-trial"' in html and 'id="front_facing_camera"' in html
    # Markdown, not text: fenced code, tables, emphasis; the file's own list of links is gone.
    assert '<pre><code class="language-sh">python -m venv .venv' in html
    assert "<table>" in html and "<strong>" in html
    assert "Training routes: numpy evolution strategy" not in html  # the file's own contents line


def test_guide_is_linked_from_every_pages_footer_and_the_garage(client, racer):
    guide = reverse("guide")
    for url in (reverse("home"), reverse("seasons"), reverse("tracks")):
        footer = client.get(url).content.decode().split('<footer class="site-footer">', 1)[1]
        assert f'href="{guide}"' in footer, url
    client.force_login(racer.user)
    garage = client.get(reverse("garage")).content.decode()
    start = garage.index('id="upload-title"')
    upload = garage[start : garage.index("</form>", start)]
    assert f'href="{guide}#the-model-package"' in upload


def test_organiser_markdown_is_sanitised():
    html = markup.organiser_markdown(
        "**Bring** your *best* lap. <script>alert(1)</script>\n\n"
        "[rules](https://example.org/r) [bad](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
        '<a href="https://example.org" onclick="steal()">x</a> <iframe src="https://e.vil"></iframe>'
    )
    assert "<strong>Bring</strong>" in html and "<em>best</em>" in html
    assert '<a href="https://example.org/r" rel="noopener noreferrer nofollow">rules</a>' in html
    for bad in ("<script", "alert(1)", "javascript:", "<img", "onerror", "onclick", "<iframe"):
        assert bad not in html, bad


# --- A race's rules -----------------------------------------------------------------------


def test_rules_page_explains_every_setting_of_a_league_race(client):
    race = F.race(laps=5, timing_method="BEST_LAP_TIME", off_track_penalty_s=2.5, time_cap_s=240,
                  allowed_sensors=["LIDAR", "STATE"], daily_quota=7, total_quota=70)  # fmt: skip

    response = client.get(reverse("race-rules", args=[race.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    text = re.sub(r"<[^>]+>", "", html)
    assert "5 laps" in text and "cross it forwards 5 times" in text
    assert "Best lap" in text and "the fastest single lap: lower is better" in text
    assert "+2.5 s" in text and "2.5 s are added to its clock" in text
    assert "Off-track limit" in text and "as often as it likes" in text
    assert "240 s" in text and "still going after 240 s" in text
    assert "As the track file runs" in text
    assert "Lidar" in text and "64 distances" in text and "State" in text and "26 numbers" in text
    assert "FRONT_FACING_CAMERA" not in text and "any other sensor is refused when you enter it" in text
    assert "7 a day · 70 in all" in text and "00:00 UTC" in text
    assert "Public (listed)" in text and "Everyone who sees the race" in text
    assert f"A race of {race.season.name}" in text
    # The same rules at home: the command the failure page gives too.
    assert ("python -m simulator race model.onnx --metadata model_metadata.json --track oval-loop "
            "--laps 5 --timing BEST_LAP_TIME --penalty 2.5 --time-cap 240 --sensors LIDAR,STATE") in text  # fmt: skip
    assert reverse("race", args=[race.pk]) in html


def test_race_page_links_to_its_rules(client):
    race = F.race()
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    assert f'href="{reverse("race-rules", args=[race.pk])}"' in html


def test_rules_of_a_community_race_with_its_own_settings(client):
    owner = F.facilitator("Flag Marshal")
    race = F.community_race(
        owner, name="Night Sprint", direction="clockwise", off_track_limit=4, visibility="unlisted",
        description="Bring **your best** lap.\n\n<script>alert('x')</script>",
    )  # fmt: skip

    html = client.get(reverse("race-rules", args=[race.pk])).content.decode()
    text = re.sub(r"<[^>]+>", "", html)

    assert "<p>Bring <strong>your best</strong> lap.</p>" in html and "<script>alert" not in html
    assert "run by Flag Marshal" in text
    assert "Reversed" in text and "--reverse" in text
    assert "4 resets" in text and "After 4, the next reset ends the run at once as a DNF" in text
    assert "--off-track-limit 4" in text
    assert "Unlisted (anyone with the link)" in text and "Not listed anywhere" in text
    assert "Closes at" in text and race.time_zone in text


def test_a_private_race_s_rules_are_a_404_to_outsiders(client, other):
    owner = F.facilitator("Host")
    race = F.community_race(owner, visibility="private")
    url = reverse("race-rules", args=[race.pk])

    assert client.get(url).status_code == 404  # anonymous
    client.force_login(other.user)
    outsider = client.get(url)
    assert outsider.status_code == 404 and race.name not in outsider.content.decode()
    assert client.get(reverse("race-rules", args=[987654])).status_code == 404

    race_join(racer=other, invite=race.invite_token)  # now a racer of the race
    assert client.get(url).status_code == 200
    client.force_login(owner.user)
    assert client.get(url).status_code == 200
