"""The top layer: the league's HTML pages (home, leaderboards, standings, profiles,
tracks, the garage, replays, accounts) and the REST API. Thin views over the selectors
and services of league/ and racing/."""
