"""What racing announces to the layers above it (the live updates subscribe in
live/apps.py), so that racing never imports them.

Each is sent where the change is made, inside its transaction when there is one: a
receiver that publishes must publish only what commits.
"""

from django.dispatch import Signal

# A submission changed status (queued, running, finished, failed, error), or the video of
# its result became ready or failed. kwargs: submission
submission_changed = Signal()
# A running race completed a lap. kwargs: submission, event ({"lap", "laps", "time_s"})
submission_progressed = Signal()
# A result was stored and the standings rebuilt. kwargs: result
result_landed = Signal()
# A race's board was rebuilt by hand (rebuild_standings). kwargs: race
standings_rebuilt = Signal()
# The reclaim's pass (racing/worker.py submissions_reclaim): a layer that races its own
# submissions (RECLAIMED_ELSEWHERE) gives those a worker died running their due, and
# answers how many. kwargs: now
reclaim_due = Signal()
