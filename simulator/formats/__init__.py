"""Race formats beyond the time trial: object avoidance (static boxes) and head-to-bot
(bot cars driving their lanes), DeepRacer's rules unless the docs say otherwise.

- `params`: the race's settings (`RaceFormat`) and their bounds, the simulator's own
  numbers for boxes, bots and contacts (`ObstacleParams`);
- `placement`: where boxes stand and bots drive, from the settings and the seed;
- `geometry`: rectangles touching, first contact between two steps, lidar beams;
- `world`: the obstacles of one race as it runs (`Obstacles`), the lidar's view of them,
  DeepRacer's reward params about objects;
- `camera`: the cameras' view of them (imported by itself: it needs the camera's tables).
"""

from .params import (
    BOT_SPEED_RANGE_M_S,
    BOTS_RANGE,
    COLLISION_PENALTY_RANGE_S,
    FORMAT_OFF_TRACK_PENALTY_S,
    LANES,
    OBJECTS_RANGE,
    OBSTACLES,
    PLACEMENTS,
    RACE_TYPES,
    SEED_RANGE,
    TIME_TRIAL,
    FixedObject,
    FormatError,
    ObstacleParams,
    RaceFormat,
    fixed_objects_from,
)
from .world import ObstacleLidar, Obstacles, closest_objects

__all__ = [
    "BOTS_RANGE", "BOT_SPEED_RANGE_M_S", "COLLISION_PENALTY_RANGE_S", "FORMAT_OFF_TRACK_PENALTY_S", "LANES",
    "OBJECTS_RANGE", "OBSTACLES", "PLACEMENTS", "RACE_TYPES", "SEED_RANGE", "TIME_TRIAL", "FixedObject",
    "FormatError", "ObstacleLidar", "ObstacleParams", "Obstacles", "RaceFormat", "closest_objects",
    "fixed_objects_from",
]
