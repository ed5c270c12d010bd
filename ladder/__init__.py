"""Head-to-head races: the rated ladder (matches between racers' latest valid submissions,
rated with OpenSkill) and the double-elimination finals when the race closes.

Layer between racing and live: it reads submissions and results (racing), races matches
in racing's sandbox (`python -m simulator duel --match`), and tells the live layer what
changed through its own signals (ladder/signals.py)."""
