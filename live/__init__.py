"""Live updates: websocket consumers for boards, standings and submissions, the messages
they carry, and how those travel between processes (Redis, or without it an event log
in the database that every web process polls). See docs/live.md."""
