"""Classic DeepRacer example: follow the centre line without sawing at the wheel.

The centre-line reward of `follow_center_line.py`, cut back when the agent asks for a
lot of steering, so that straight lines are driven straight.
"""


def reward_function(params):
    width = params["track_width"]
    distance = params["distance_from_center"]
    steering = abs(params["steering_angle"])  # left or right does not matter

    if distance <= 0.1 * width:
        reward = 1.0
    elif distance <= 0.25 * width:
        reward = 0.5
    elif distance <= 0.5 * width:
        reward = 0.1
    else:
        reward = 1e-3

    steering_limit_deg = 15.0
    if steering > steering_limit_deg:
        reward *= 0.8

    return float(reward)
