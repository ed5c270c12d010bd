"""Racing: uploaded models, submissions, the worker and its sandbox, results, standings,
replays and videos."""
