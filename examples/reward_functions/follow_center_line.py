"""Classic DeepRacer example: reward staying close to the centre line.

Three bands around the centre line, a tenth, a quarter and half of the track width
wide; the closer band scores more, and outside them the car is probably off track.
"""


def reward_function(params):
    width = params["track_width"]
    distance = params["distance_from_center"]

    if distance <= 0.1 * width:
        reward = 1.0
    elif distance <= 0.25 * width:
        reward = 0.5
    elif distance <= 0.5 * width:
        reward = 0.1
    else:
        reward = 1e-3  # likely off track

    return float(reward)
