"""Reward pointing the car along the track, using the waypoints around it.

The track direction is the line from the previous to the next waypoint; the reward
halves when the car's heading is more than 10 degrees off it.
"""

import math


def reward_function(params):
    waypoints = params["waypoints"]
    previous, following = params["closest_waypoints"]
    heading = params["heading"]

    x0, y0 = waypoints[previous]
    x1, y1 = waypoints[following]
    track_direction = math.degrees(math.atan2(y1 - y0, x1 - x0))
    difference = abs(track_direction - heading)
    if difference > 180.0:
        difference = 360.0 - difference

    reward = 1.0
    if difference > 10.0:
        reward *= 0.5
    if params["is_offtrack"] or params["is_reversed"]:
        reward = 1e-3
    return float(reward)
