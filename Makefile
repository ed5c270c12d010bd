# Two commands on a fresh machine: `make serve` runs the league, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings read the bound address: the league answers to it besides the loopback names.
export HOST

.PHONY: serve dev test bench venv migrate static demo worker tracks drivers clean help

help:
	@echo "make serve   the league, production-grade: install into .venv, migrate, collect static files,"
	@echo "             load tracks and a demo season, run uvicorn + race and video workers (HOST, PORT)"
	@echo "make dev     the same with DEBUG on and the auto-reloading development server"
	@echo "make test    install into .venv and run the whole test suite"
	@echo "make bench   simulator and server benchmarks (ratios against bare inference)"
	@echo "make clean   remove .venv, the database, media, collected static files and var/ (the secret key)"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

demo: migrate
	$(PY) manage.py demo

static: venv
	$(PY) manage.py collectstatic --noinput -v 0

# The address is free, or the organiser is told how to pick another.
define port_free
@$(PY) -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$(HOST)', $(PORT)))" 2>/dev/null \
	|| { echo "Port $(PORT) on $(HOST) is busy: stop what uses it or run 'make $@ PORT=8001'."; exit 1; }
endef

define banner
@echo ""
@echo "  League running at http://$(HOST):$(PORT)/"
@echo "  Admin: http://$(HOST):$(PORT)/admin/  (user $${DEMO_ADMIN_USERNAME:-admin}, password $${DEMO_ADMIN_PASSWORD:-admin})"
@echo "  API docs: http://$(HOST):$(PORT)/api/docs/   Stop with Ctrl-C."
@echo ""
endef

# A script's background jobs ignore Ctrl-C: this gives it back to a program that does not
# catch it itself (Django's auto-reloader), then runs that program.
WITH_CTRL_C := $(PY) -c "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"

# The web server $(1) beside a race worker and a video worker, all stopped together.
# Ctrl-C reaches every process of the terminal's group at once, and each stops by itself;
# the shell waits for them and ends normally, so make reports no error. A SIGTERM (or
# HUP) sent to the shell alone is passed on. A worker first finishes the race or video it
# is on; a second Ctrl-C cuts it short and the race goes back to the queue (racing/worker.py).
define run_with_workers
@trap 'wait' INT; \
trap 'kill -TERM $$pids 2>/dev/null; wait' TERM HUP; \
$(PY) manage.py db_worker --interval 0.1 & pids="$$!"; \
$(PY) manage.py db_worker --queue-name videos --interval 0.5 --no-reclaim & pids="$$pids $$!"; \
$(1) & pids="$$pids $$!"; \
wait; exit 0
endef

# The web server is uvicorn, the production ASGI server (HTTP and websockets): it hands a
# request body over as it arrives, so one over its limit is refused unread (web/asgi_limits.py).
# --no-proxy-headers: uvicorn would otherwise believe X-Forwarded-For from local clients;
# the league's TRUSTED_PROXIES setting decides that (web/clients.py). DEBUG is off unless the
# environment turns it on; the secret key is generated once into var/ (config/settings.py).
serve: demo static
	$(port_free)
	$(banner)
	$(call run_with_workers,$(PY) -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off --no-proxy-headers)

# For developers: DEBUG on (error pages, static files straight from the apps' folders) and
# Django's auto-reloading development server (Daphne's, with websockets).
dev: export DEBUG = 1
dev: demo
	$(port_free)
	$(banner)
	$(call run_with_workers,$(WITH_CTRL_C) $(PY) manage.py runserver $(HOST):$(PORT))

test: venv
	$(PY) -m pytest -q

bench: venv
	$(PY) -m simulator bench
	$(PY) -m simulator.duel_bench
	$(PY) -m simulator.video bench
	$(PY) manage.py bench_server
	$(PY) manage.py bench_night

clean:
	rm -rf $(VENV) db.sqlite3 media var staticfiles
