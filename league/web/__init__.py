"""The league's HTML pages: home, leaderboards, standings, profiles, tracks, the garage
and accounts. Thin views over the selectors and services of league/ and racing/."""
