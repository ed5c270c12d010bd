import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def load_settings(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'])"],
        cwd=ROOT, env=full, capture_output=True, text=True,
    )


def test_debug_off_refuses_to_start_without_a_real_secret_key():
    proc = load_settings(DEBUG="0")
    assert proc.returncode != 0 and "SECRET_KEY" in proc.stderr
    ok = load_settings(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="league.example")
    assert ok.returncode == 0, ok.stderr


def test_defaults_are_sqlite_and_in_memory_channels_and_env_overrides():
    proc = load_settings()
    assert proc.stdout.split() == ["django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer"]
    proc = load_settings(DATABASE_URL="postgres://u:p@db/league", REDIS_URL="redis://cache:6379/0")
    assert proc.stdout.split() == ["django.db.backends.postgresql", "channels_redis.core.RedisChannelLayer"]


SECURITY = ("SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "TRUSTED_PROXIES")


def security_settings(**env) -> dict:
    """The security settings (and the cache backend) that this environment gives."""
    code = (
        "import json, config.settings as s; "
        f"print(json.dumps({{k: getattr(s, k, None) for k in {SECURITY!r}}} | {{'cache': s.CACHES['default']['BACKEND']}}))"
    )
    base = {"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "league.example"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_production_settings_by_environment():
    prod = security_settings(DEBUG="0")
    assert prod["SECURE_HSTS_SECONDS"] == 31_536_000 and prod["SESSION_COOKIE_SECURE"] is True
    assert prod["SECURE_PROXY_SSL_HEADER"] is None and prod["TRUSTED_PROXIES"] == 0  # nobody may claim HTTPS
    assert security_settings(DEBUG="0", SECURE_HSTS_SECONDS="0", SECURE_COOKIES="0")["SESSION_COOKIE_SECURE"] is False
    proxied = security_settings(DEBUG="0", TRUSTED_PROXIES="1")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert security_settings()["SECURE_HSTS_SECONDS"] is None  # DEBUG: no HSTS on a developer's machine
    # The rate-limit counters are shared by every web process: the database, or Redis.
    assert prod["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert security_settings(REDIS_URL="redis://cache:6379/0")["cache"] == "django.core.cache.backends.redis.RedisCache"
