"""Mail settings from the environment: EMAIL_URL, or EMAIL_HOST and friends, or the
console (so `make serve` prints each password reset mail)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
KEYS = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
        "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL")  # fmt: skip


def load(**env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_") and k != "DEFAULT_FROM_EMAIL"}
    full.update(env)
    code = f"import json, config.settings as s; print(json.dumps({{k: getattr(s, k, None) for k in {KEYS!r}}}))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True)


def mail_settings(**env) -> dict:
    proc = load(**env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_console_when_nothing_is_set():
    assert mail_settings()["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_an_email_url():
    s = mail_settings(EMAIL_URL="submission://league%40example.org:s3cret@smtp.example.org:587",
                      DEFAULT_FROM_EMAIL="League <league@example.org>")  # fmt: skip
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_USE_TLS"]) == ("smtp.example.org", 587, True)
    assert (s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"]) == ("league@example.org", "s3cret")
    assert s["DEFAULT_FROM_EMAIL"] == "League <league@example.org>"


def test_host_port_user_password():
    s = mail_settings(EMAIL_HOST="mail.club.org", EMAIL_PORT="2525", EMAIL_HOST_USER="u",
                      EMAIL_HOST_PASSWORD="p", EMAIL_USE_TLS="0")  # fmt: skip
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"], s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"]) == (
        "mail.club.org", 2525, "u", "p")
    assert s["EMAIL_USE_TLS"] is False


def test_an_email_url_that_is_no_mail_server_is_refused_with_the_fix():
    proc = load(EMAIL_URL="smtp+tls://u:p@smtp.example.org:587")
    assert proc.returncode != 0
    assert "'smtp+tls://', which is not a mail server: use submission://" in proc.stderr
