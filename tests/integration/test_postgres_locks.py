"""Row locks that only PostgreSQL can show working: on SQLite one write transaction runs at
a time, so two of them never meet halfway. Each test migrates a throw-away cluster and runs
its two racing transactions in a child process on it (this process's database is SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from web.throwaway import PostgresCluster, postgres_missing_reason

pytestmark = pytest.mark.integration

TRIES = 12


@pytest.fixture
def postgres_url():
    reason = postgres_missing_reason()
    if reason:
        if os.environ.get("REQUIRE_INTEGRATION"):
            pytest.fail(reason)
        pytest.skip(reason)
    with PostgresCluster(durable=False) as pg:
        yield pg.url("league")


def _child(url: str, code: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1",
           "SECRET_KEY": "postgres-locks-test-secret-key-0123456789-abcdefghij", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_rounds_starting_the_finals_at_once_make_one_bracket(postgres_url):
    """The worker's ladder round and an organiser's click start the finals at the same
    moment: one makes the bracket, the other is told the finals have started (before the
    race's row lock, the second died on the bracket's unique key)."""
    outcomes = _child(postgres_url, f"""
import json, threading
import django
django.setup()
from django.db import connection
from ladder.bracket import FinalsError, finals_start
from ladder.models import Bracket
from tests.ladder.test_bracket import _ladder

race, _ = _ladder(4)
outcomes = []

def start(barrier, out):
    barrier.wait()
    try:
        finals_start(race)
        out.append("bracket")
    except FinalsError:
        out.append("already started")
    except Exception as exc:
        out.append(type(exc).__name__)
    finally:
        connection.close()

for _ in range({TRIES}):
    Bracket.objects.filter(race=race).delete()
    barrier, out = threading.Barrier(2), []
    threads = [threading.Thread(target=start, args=(barrier, out)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes.append(sorted(out) + [Bracket.objects.filter(race=race).count()])
print(json.dumps(outcomes))
""")
    assert outcomes == [["already started", "bracket", 1]] * TRIES
