"""Live updates between processes without Redis: a small event log in the database that
every web process polls (see racing/live/relay.py and docs/live.md)."""
