import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def load_settings(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'])"],
        cwd=ROOT, env=full, capture_output=True, text=True,
    )


def test_a_short_secret_key_is_refused_with_the_fix():
    proc = load_settings(SECRET_KEY="short")
    assert proc.returncode != 0 and "SECRET_KEY is too short" in proc.stderr and "token_urlsafe" in proc.stderr
    ok = load_settings(SECRET_KEY="x" * 50, ALLOWED_HOSTS="league.example")
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
    assert security_settings(DEBUG="1")["SECURE_HSTS_SECONDS"] is None  # no HSTS on a developer's machine
    assert security_settings()["SECURE_HSTS_SECONDS"] == 31_536_000  # production unless DEBUG=1
    # The rate-limit counters are shared by every web process: the database, or Redis.
    assert prod["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert security_settings(REDIS_URL="redis://cache:6379/0")["cache"] == "django.core.cache.backends.redis.RedisCache"


def settings_of(names: tuple[str, ...], **env) -> dict:
    """These settings (JSON-able) as a fresh process with this environment sees them."""
    code = (
        "import json, config.settings as s; "
        f"print(json.dumps({{k: getattr(s, k, None) for k in {names!r}}}, default=str))"
    )
    base = {"PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_production_by_default_with_a_secret_key_made_once_and_kept_private(tmp_path):
    var = tmp_path / "var"
    first = settings_of(("DEBUG", "SECRET_KEY"), VAR_DIR=str(var))
    assert first["DEBUG"] is False and len(first["SECRET_KEY"]) >= 32
    key_file = var / "secret_key"
    assert key_file.read_text().strip() == first["SECRET_KEY"]
    assert key_file.stat().st_mode & 0o777 == 0o600  # the organiser's alone
    # Every later process (web server, workers) reads the same key...
    assert settings_of(("SECRET_KEY",), VAR_DIR=str(var))["SECRET_KEY"] == first["SECRET_KEY"]
    # ...unless the environment gives one, which wins (many machines share it).
    assert settings_of(("SECRET_KEY",), VAR_DIR=str(var), SECRET_KEY="e" * 40)["SECRET_KEY"] == "e" * 40
    assert settings_of(("DEBUG",), VAR_DIR=str(var), DEBUG="1")["DEBUG"] is True


def test_processes_starting_together_share_one_new_key(tmp_path):
    var = tmp_path / "var"
    code = "import config.settings as s, hashlib; print(hashlib.sha256(s.SECRET_KEY.encode()).hexdigest())"
    env = {"PATH": "/usr/bin:/bin", "VAR_DIR": str(var)}
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(4)]  # fmt: skip
    digests = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(digests) == 1 and all(p.returncode == 0 for p in procs)
    assert sorted(path.name for path in var.iterdir()) == ["secret_key"]  # no temporary file left


def test_an_unwritable_var_folder_names_the_fixes(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = load_settings(VAR_DIR=str(blocker / "var"))
    assert proc.returncode != 0
    assert "VAR_DIR" in proc.stderr and "SECRET_KEY environment variable" in proc.stderr


def test_a_local_league_answers_on_loopback_and_its_bound_address_with_plain_http_cookies(tmp_path):
    names = ("ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    var = str(tmp_path)
    local = settings_of(names, VAR_DIR=var)
    assert local == {"ALLOWED_HOSTS": ["127.0.0.1", "localhost", "[::1]"],
                     "SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False}  # fmt: skip
    assert settings_of(names, VAR_DIR=var, HOST="127.0.0.2")["ALLOWED_HOSTS"][-1] == "127.0.0.2"
    assert settings_of(names, VAR_DIR=var, HOST="0.0.0.0")["ALLOWED_HOSTS"] == local["ALLOWED_HOSTS"]
    # A league on a network: cookies over HTTPS only, unless the organiser says otherwise.
    named = settings_of(names, VAR_DIR=var, ALLOWED_HOSTS="league.example")
    assert named["SESSION_COOKIE_SECURE"] is True and named["CSRF_COOKIE_SECURE"] is True
    lan = settings_of(names, VAR_DIR=var, HOST="192.168.1.20")
    assert lan["SESSION_COOKIE_SECURE"] is True
    assert settings_of(names, VAR_DIR=var, HOST="192.168.1.20", SECURE_COOKIES="0")["SESSION_COOKIE_SECURE"] is False
    assert settings_of(names, VAR_DIR=var, SECURE_COOKIES="1")["SESSION_COOKIE_SECURE"] is True


def test_static_files_are_hashed_and_compressed_in_production_only(tmp_path):
    names = ("STATIC_COLLECTED", "STORAGES", "WHITENOISE_USE_FINDERS")
    prod = settings_of(names, VAR_DIR=str(tmp_path))
    assert prod["STORAGES"]["staticfiles"]["BACKEND"] == "web.ops.staticfiles.HashedStaticStorage"
    assert prod["WHITENOISE_USE_FINDERS"] is False
    dev = settings_of(names, VAR_DIR=str(tmp_path), DEBUG="1")
    assert dev["STORAGES"]["staticfiles"]["BACKEND"].endswith(".StaticFilesStorage") and dev["WHITENOISE_USE_FINDERS"]


def storage(**env) -> tuple[dict, list[str]]:
    from config.settings import media_storage

    return media_storage(env)


def test_storage_url_puts_media_in_object_storage():
    backend, origins = storage(
        STORAGE_URL="s3://league-media/prod/eu?endpoint_url=http://minio:9000&region_name=us-east-1&signed_url_s=120"
    )
    options = backend["OPTIONS"]
    assert backend["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (options["bucket_name"], options["location"], options["endpoint_url"], options["region_name"]) == (
        "league-media", "prod/eu", "http://minio:9000", "us-east-1")  # fmt: skip
    assert options["querystring_auth"] is True and options["querystring_expire"] == 120
    assert options["default_acl"] is None and options["file_overwrite"] is False
    assert options["client_config"].s3 == {"addressing_style": "path"}  # a self-hosted store
    assert origins == ["http://minio:9000"]
    _, origins = storage(STORAGE_URL="s3://media?endpoint_url=https://s3.example&addressing_style=virtual")
    assert origins == ["https://media.s3.example", "https://s3.example"]
    backend, origins = storage(STORAGE_URL="s3://media?region_name=eu-west-1")  # AWS itself
    assert backend["OPTIONS"]["querystring_expire"] == 300 and backend["OPTIONS"]["endpoint_url"] is None
    assert "https://media.s3.eu-west-1.amazonaws.com" in origins


def test_django_storages_own_variables_work_too_and_nothing_means_the_media_folder():
    backend, origins = storage(AWS_STORAGE_BUCKET_NAME="media", AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
                               AWS_S3_REGION_NAME="us-east-1", AWS_QUERYSTRING_EXPIRE="60")  # fmt: skip
    assert backend["OPTIONS"]["bucket_name"] == "media" and backend["OPTIONS"]["querystring_expire"] == 60
    assert origins == ["http://127.0.0.1:9000"]
    assert storage() == ({"BACKEND": "django.core.files.storage.FileSystemStorage"}, [])


@pytest.mark.parametrize("url, says", [
    ("http://bucket/x", "s3://BUCKET"),
    ("s3://bucket?endpoint=http://x", "unknown parameters endpoint"),
    ("s3://bucket?endpoint_url=minio:9000", "http://"),
    ("s3://bucket?signed_url_s=forever", "whole number of seconds"),
    ("s3://bucket?addressing_style=dns", "path, virtual or auto"),
])  # fmt: skip
def test_a_wrong_storage_url_is_refused_with_the_fix(url, says):
    from config.settings import StorageUrlError

    with pytest.raises(StorageUrlError, match=says.replace("?", r"\?")):
        storage(STORAGE_URL=url)


def test_the_storage_origin_is_allowed_by_the_content_security_policy(tmp_path):
    csp = settings_of(("CONTENT_SECURITY_POLICY",), VAR_DIR=str(tmp_path),
                      STORAGE_URL="s3://media?endpoint_url=http://127.0.0.1:9000")["CONTENT_SECURITY_POLICY"]  # fmt: skip
    for directive in ("img-src", "media-src", "connect-src"):
        assert "http://127.0.0.1:9000" in csp["DIRECTIVES"][directive], directive
    assert "http://127.0.0.1:9000" not in csp["DIRECTIVES"]["script-src"]


def test_operations_settings_refuse_what_they_cannot_use(tmp_path):
    proc = load_settings(VAR_DIR=str(tmp_path), METRICS_ALLOWED_NETWORKS="10.0.0.0/8,the-office")
    assert proc.returncode != 0 and "METRICS_ALLOWED_NETWORKS" in proc.stderr and "127.0.0.0/8" in proc.stderr
    proc = load_settings(VAR_DIR=str(tmp_path), LOG_FORMAT="xml")
    assert proc.returncode != 0 and "LOG_FORMAT must be text or json" in proc.stderr
