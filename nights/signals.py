"""What a race night announces to the live layer (connected in live/apps.py), so that
nights never imports it. Sent where the change is made, inside its transaction.
"""

from django.dispatch import Signal

# The live race's state or queue changed (joined, moved, removed, started, paused, ended).
# kwargs: live_race
night_changed = Signal()
# A message of the running run, already JSON: run_countdown, run_started, frame, lap,
# off_track, run_finished. kwargs: race_id, message
night_streamed = Signal()
