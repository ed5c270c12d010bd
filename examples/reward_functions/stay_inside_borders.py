"""Classic DeepRacer example: reward keeping all wheels inside the borders.

Anywhere on the track is fine as long as the car keeps a small margin from the edge.
"""


def reward_function(params):
    on_track = params["all_wheels_on_track"]
    distance = params["distance_from_center"]
    half_width = 0.5 * params["track_width"]
    margin_m = 0.05

    if on_track and distance <= half_width - margin_m:
        return 1.0
    return 1e-3
