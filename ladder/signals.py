"""What the ladder announces to the live layer (connected in live/apps.py), so that it
never imports it. Sent inside the transaction that made the change."""

from django.dispatch import Signal

# A match was queued, started, finished or failed. kwargs: match
match_changed = Signal()
# The ratings of a race changed (a rated match, a new submission). kwargs: race_id
ladder_changed = Signal()
