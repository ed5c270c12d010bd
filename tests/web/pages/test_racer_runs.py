"""A racer's profile: every best result (not the first three), every run per race and the
chart of their times over their runs (SVG: axes, labels, DNFs marked), private races kept
out of sight."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from league.community import race_join
from tests import factories as F

from .conftest import run_result

pytestmark = pytest.mark.django_db


def test_every_best_result_is_shown(client, racer):
    season = F.season("open", tracks=[F.track(f"oval-{k}") for k in range(4)])
    for race in season.races.all():
        run_result(racer, race, lap_times=[20.0, 20.5, 21.0])
    html = client.get(reverse("racer", args=[racer.alias])).content.decode()
    best = html.split('id="best-title"', 1)[1].split("</section>", 1)[0]
    assert best.count('class="best-card') == 4


def test_every_run_per_race_and_its_chart(client, race, racer):
    run_result(racer, race, lap_times=[21.0, 21.0, 21.0])  # 63.000
    run_result(racer, race, finished=False, laps_done=1, progress=0.5)
    run_result(racer, race, lap_times=[20.0, 20.0, 20.0])  # 60.000: the ranked run
    html = client.get(reverse("racer", args=[racer.alias])).content.decode()
    card = html.split(f'data-race-id="{race.pk}"', 1)[1].split("</article>", 1)[0]
    assert card.count("<tr") == 4  # the header and three runs, in the order they were sent
    rows = card.split("<tbody>", 1)[1]
    assert rows.index("1:03.000") < rows.index("DNF") < rows.index("1:00.000")
    assert "ranked" in rows.split("1:00.000", 1)[1].split("</tr>", 1)[0]
    chart = card.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert len(re.findall(r'<circle class="tc-point', chart)) == 2
    assert chart.count('class="tc-point tc-best"') == 1 and "Run 3: 1:00.000" in chart
    assert chart.count('<g class="tc-dnf">') == 1 and "Run 2: DNF, 1 laps + 50%" in chart
    assert chart.count('class="tc-axis"') == 2
    # The y axis: round times around the runs' (63 and 60 s), a second apart.
    assert re.findall(r'class="tc-label tc-y"[^>]*>([^<]+)<', chart) == [
        "59", "1:00", "1:01", "1:02", "1:03", "1:04"
    ]  # fmt: skip
    assert [m for m in re.findall(r'class="tc-label tc-x"[^>]*>(\d+)<', chart)] == ["1", "2", "3"]


def test_a_private_race_stays_out_of_a_strangers_sight(client, racer):
    fran = F.facilitator()
    private = F.community_race(fran, visibility="private")
    race_join(racer=racer, invite=private.invite_token)
    run_result(racer, private)
    client.force_login(racer.user)
    assert f'data-race-id="{private.pk}"' in client.get(reverse("racer", args=[racer.alias])).content.decode()
    client.logout()
    html = client.get(reverse("racer", args=[racer.alias])).content.decode()
    assert f'data-race-id="{private.pk}"' not in html
    # Nor in the counts: the private win and run leave no trace for a stranger.
    stats = html.split('class="stat-value">')
    assert stats[1].startswith("0<") and "win" in stats[1]  # wins
    assert any(part.startswith("0<") and "runs raced" in part.split("</div>", 1)[0] for part in stats[1:])
