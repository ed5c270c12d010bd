# One image for every piece of the league: the web process, the race workers and the
# video workers differ only by their command (compose.yaml, docs/organisers.md).
#
#   docker build -t racing-league .
#
# The sandbox of every model run (racing/isolation.py) needs bubblewrap and libseccomp in
# the image, and user namespaces from the container runtime: see compose.yaml
# (security_opt) or set RACING_SANDBOX=weak where the runtime cannot give them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# bubblewrap + libseccomp2: the sandbox; fonts: the videos' overlay text. FFmpeg comes
# inside PyAV's wheel, onnxruntime and psycopg bring their own libraries too.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap libseccomp2 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# A user of its own (never root): the sandbox maps it to `nobody` for each child.
RUN useradd --create-home --uid 10001 --user-group league
WORKDIR /app

# Dependencies first: a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=league:league . .
# Static files collected into the image, compressed and content-hashed (WhiteNoise serves
# them from here). collectstatic needs settings that load, not a real key or database.
RUN SECRET_KEY=collectstatic-only-not-a-real-key-0123456789abcdef DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput -v 0 \
    && rm -f /tmp/build.sqlite3 \
    && mkdir -p /app/var /app/media /tmp/league-work \
    && chown -R league:league /app/var /app/media /tmp/league-work

USER league
EXPOSE 8000

# The web process (HTTP and websockets). Workers override the command:
#   python manage.py db_worker                                    (races, queue "default")
#   python manage.py db_worker --queue-name videos --no-reclaim   (videos)
# Migrations run once per upgrade: python manage.py migrate --noinput
CMD ["python", "-m", "uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--lifespan", "off", "--no-proxy-headers"]
