"""Sign-up (user name, password, racer alias), log in and log out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from league.models import Racer
from tests import factories as F

pytestmark = pytest.mark.django_db

GOOD = {"username": "newbie", "alias": "Rookie Racer", "password": "tarmac-and-tyres-42", "password2": "tarmac-and-tyres-42"}


def test_signup_creates_the_racer_and_logs_in(client):
    response = client.post(reverse("signup"), GOOD)

    assert response.status_code == 302 and response["Location"] == reverse("garage")
    racer = Racer.objects.get(alias="Rookie Racer")
    assert racer.user.username == "newbie" and racer.user.check_password(GOOD["password"])
    garage = client.get(reverse("garage")).content.decode()
    assert "Welcome to the grid, Rookie Racer!" in garage


def test_signup_page_renders(client):
    html = client.get(reverse("signup")).content.decode()
    for field in ("username", "alias", "password", "password2"):
        assert f'name="{field}"' in html
    assert "Racer alias" in html


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"alias": "Taken Name"}, "alias", "is taken"),
        ({"alias": "x"}, "alias", "An alias has 3 to 40 characters"),
        ({"username": "taken"}, "username", "is taken"),
        ({"username": "no spaces please"}, "username", "Enter a valid username"),
        ({"password": "12345678", "password2": "12345678"}, "password", "too common"),
        ({"password2": "something-else-entirely"}, "password2", "The two passwords differ"),
        ({"alias": ""}, "alias", "This field is required."),
    ],
)
def test_signup_errors_are_shown_next_to_fields(client, changes, field, message):
    F.racer("Taken Name", username="taken")

    response = client.post(reverse("signup"), {**GOOD, **changes})

    assert response.status_code == 400
    html = response.content.decode()
    chunk = html[html.index(f'id="id_{field}"') :]
    chunk = chunk[: chunk.index("</div>")]
    assert message in chunk, chunk
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_login_and_logout(client):
    racer = F.racer("Lap Leader", username="leader")

    page = client.get(reverse("login"))
    assert page.status_code == 200 and "Log in" in page.content.decode()
    response = client.post(reverse("login"), {"username": "leader", "password": F.PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("home")).content.decode()
    assert "Lap Leader" in home and reverse("racer", args=["Lap Leader"]) in home

    assert client.post(reverse("logout")).status_code == 302
    assert "Lap Leader" not in client.get(reverse("home")).content.decode()
    assert racer.user.is_active


def test_wrong_password_is_an_error(client):
    F.racer("Lap Leader", username="leader")
    response = client.post(reverse("login"), {"username": "leader", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_signed_in_users_skip_signup(client):
    racer = F.racer()
    client.force_login(racer.user)
    assert client.get(reverse("signup"))["Location"] == reverse("garage")


def test_staff_without_a_racer_get_one(client):
    admin = get_user_model().objects.create_superuser("boss", password="x")
    client.force_login(admin)
    assert client.get(reverse("garage")).status_code == 200
    assert Racer.objects.filter(user=admin).exists()
