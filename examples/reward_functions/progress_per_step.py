"""Reward speed: the lap progress gained since the previous step.

DeepRacer reward functions are plain functions, so memory between steps lives in a
module-level dict; `steps == 1` marks a new episode. Going off track costs a fixed
amount, because the race adds a time penalty.
"""

_last = {"progress": 0.0}


def reward_function(params):
    progress = params["progress"]
    if params["steps"] == 1:
        _last["progress"] = 0.0
    gained = progress - _last["progress"]
    if gained < -50.0:  # a lap completed: progress went from ~100 back to ~0
        gained += 100.0
    _last["progress"] = progress
    if params["is_offtrack"]:
        return -5.0
    return float(gained)
