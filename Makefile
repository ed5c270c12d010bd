# Two commands on a fresh machine: `make serve` runs the league, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test bench venv migrate demo worker tracks drivers clean help

help:
	@echo "make serve   install into .venv, migrate, load tracks and a demo season, run web server + race worker"
	@echo "make test    install into .venv and run the whole test suite"
	@echo "make bench   simulator and server benchmarks (ratios against bare inference)"

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

# The web server is uvicorn, as in production (docs/organisers.md): it hands a request body
# over as it arrives, so one over its limit is refused unread (web/asgi_limits.py).
# --no-proxy-headers: uvicorn would otherwise believe X-Forwarded-For from local clients;
# the league's TRUSTED_PROXIES setting decides that (web/clients.py).
serve: demo
	@$(PY) -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$(HOST)', $(PORT)))" 2>/dev/null \
		|| { echo "Port $(PORT) on $(HOST) is busy: stop what uses it or run 'make serve PORT=8001'."; exit 1; }
	@echo ""
	@echo "  League running at http://$(HOST):$(PORT)/"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/  (user $${DEMO_ADMIN_USERNAME:-admin}, password $${DEMO_ADMIN_PASSWORD:-admin})"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/   Stop with Ctrl-C."
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker --interval 0.1 & \
	$(PY) manage.py db_worker --queue-name videos --interval 0.5 --no-reclaim & \
	$(PY) -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) --lifespan off --no-proxy-headers

test: venv
	$(PY) -m pytest -q

bench: venv
	$(PY) -m simulator bench
	$(PY) -m simulator.video bench
	$(PY) manage.py bench_server

clean:
	rm -rf $(VENV) db.sqlite3 media var
