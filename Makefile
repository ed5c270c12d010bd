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

demo: migrate
	$(PY) manage.py demo

serve: demo
	@echo "Starting the race worker and the web server (Ctrl-C stops both)..."
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker --interval 0.1 & \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest -q

bench: venv
	$(PY) -m simulator bench
	$(PY) manage.py bench_server

clean:
	rm -rf $(VENV) db.sqlite3 media var
