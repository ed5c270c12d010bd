"""Operating the league: health and readiness probes, Prometheus metrics, the websocket
client count and the static files storage (docs/dev/architecture.md)."""
