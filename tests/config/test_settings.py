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
