"""Help and the small things, where a person would look: the phone nav shows every link,
the standings keep names and race columns in view on a phone, the guide, a race's rules,
the API docs and the error page fit a phone. Screenshots go to $PAGE_SHOTS_DIR."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as F
from tests.browser.test_pages import SHOTS, check_fits, log_in
from tests.web.pages.conftest import run_result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _in_view(tab, locator) -> bool:
    """Whether the element is drawn inside the viewport and is what a tap there hits."""
    return tab.evaluate(
        """(el) => {
          const r = el.getBoundingClientRect();
          if (r.width === 0 || r.left < 0 || r.right > window.innerWidth) return false;
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return hit === el || el.contains(hit);
        }""",
        locator.element_handle(),
    )


def test_phone_nav_shows_every_link(phone_page, live_server):
    organiser = F.racer("Race Control Operator", staff=True)  # the most links: Garage, Organise
    log_in(phone_page, live_server, organiser)
    phone_page.goto(live_server.url + reverse("home"))

    links = phone_page.locator(".main-nav a")
    names = links.all_inner_texts()
    assert names == ["Races", "Community", "Standings", "Tracks", "Garage", "Organise", "Guide"]
    for i in range(links.count()):
        phone_page.evaluate("window.scrollTo(0, 0)")
        assert _in_view(phone_page, links.nth(i)), names[i]
    assert _in_view(phone_page, phone_page.locator(".account form button"))  # Log out
    check_fits(phone_page, "h5-nav", "phone_page")


@pytest.mark.parametrize("width", [1280, 1100, 900])
def test_nav_and_account_never_overlap(page, live_server, width):
    organiser = F.racer("Race Control Operator", staff=True)
    log_in(page, live_server, organiser)
    page.set_viewport_size({"width": width, "height": 700})
    page.goto(live_server.url + reverse("home"))
    links = page.locator(".main-nav a")
    for i in range(links.count()):
        assert _in_view(page, links.nth(i)), (width, links.nth(i).inner_text())
    assert _in_view(page, page.locator(".account form button"))


def test_standings_on_a_phone_keep_names_and_show_race_columns(phone_page, live_server):
    tracks = [F.track(slug) for slug in ("oval-loop", "paperclip", "grand-prix", "riverside-sweep")]
    season = F.season(tracks=tracks, slug="phone-cup")
    races = list(season.races.order_by("order"))
    for i, name in enumerate(["Lidar Lisa", "Max Q", "Gradient Descent", "Chicane Charlie"]):
        racer = F.racer(name)
        for race in races[: i + 1]:
            run_result(racer, race, lap_times=[20.0 + i, 20.0, 20.0])

    phone_page.goto(live_server.url + reverse("season", args=[season.slug]))
    table = phone_page.locator(".table-scroll")
    first_name = phone_page.locator("#standings tbody tr:first-child td.c-racer")
    race_heads = phone_page.locator("#standings th.c-race")

    assert _in_view(phone_page, first_name) and _in_view(phone_page, race_heads.first)
    assert phone_page.locator(".scroll-hint").is_visible()
    check_fits(phone_page, "h5-standings", "phone_page")

    table.evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
    phone_page.wait_for_function("document.querySelector('.table-scroll').scrollLeft > 0")
    assert _in_view(phone_page, first_name), "the racer's name scrolled away"
    assert _in_view(phone_page, phone_page.locator("#standings tbody tr:first-child td.c-rank"))
    assert _in_view(phone_page, race_heads.last)
    phone_page.screenshot(path="/tmp/shots/h5_standings_phone_scrolled.png")


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_guide_and_rules_pages(request, live_server, viewport):
    tab = request.getfixturevalue(viewport)
    race = F.race()
    tab.goto(live_server.url + reverse("guide"))
    toc = tab.locator(".doc-toc details")
    if viewport == "phone_page":
        assert not toc.evaluate("(d) => d.open")  # one tap away, not a screenful of links
        tab.locator(".doc-toc summary").click()
    tab.locator(".doc-toc a", has_text="The rules of a time trial").click()
    tab.wait_for_function("location.hash === '#the-rules-of-a-time-trial'")
    assert _in_view(tab, tab.locator("#the-rules-of-a-time-trial"))
    # The guide is long: a screenshot of where it landed, not of the whole page.
    assert tab.evaluate("document.documentElement.scrollWidth") <= tab.viewport_size["width"]
    tab.screenshot(path=str(SHOTS / f"{viewport}-h5-guide.png"))

    tab.goto(live_server.url + reverse("race-rules", args=[race.pk]))
    assert tab.locator(".rule-item").count() == 11  # the format first, then every other setting
    check_fits(tab, "h5-rules", viewport)


def test_api_docs_fit_a_phone_and_lead_back(phone_page, live_server):
    phone_page.goto(live_server.url + "/api/docs/")
    phone_page.wait_for_selector(".opblock-summary-path")
    check_fits(phone_page, "h5-swagger", "phone_page")
    back = phone_page.locator(".docs-bar a", has_text="Back to the league")
    assert _in_view(phone_page, back)
    back.click()
    phone_page.wait_for_url(live_server.url + "/")


def test_not_found_page_fits_a_phone(phone_page, live_server):
    response = phone_page.goto(live_server.url + "/no/such/page/")
    assert response.status == 404
    assert phone_page.locator("h1").inner_text() == "Nothing here"
    check_fits(phone_page, "h5-404", "phone_page")
