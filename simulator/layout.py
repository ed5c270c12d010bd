"""The one definition of every vector layout the simulator exchanges.

The STATE sensor, the recorded trajectory and replays all index through these names.
"""

from __future__ import annotations

# --- STATE sensor, input [1, 26] float32 -------------------------------------------------
STATE_SPEED = 0
STATE_STEERING = 1  # current steering / CarParams.max_steering_deg (30), positive = left
STATE_OFFSET = 2  # signed distance from the centre line, m, positive = left
STATE_HEADING_ERROR = 3  # track direction minus car heading, rad in (-pi, pi]
STATE_TRACK_WIDTH = 4
STATE_PROGRESS = 5  # fraction of the lap in [0, 1)
STATE_LOOKAHEAD = 6  # x1, y1, x2, y2, ... in the car frame (x forward, y left)
STATE_LOOKAHEAD_POINTS = 10
STATE_LOOKAHEAD_SPACING_M = 0.25
STATE_SIZE = STATE_LOOKAHEAD + 2 * STATE_LOOKAHEAD_POINTS  # 26

# --- Trajectory, one row per control step, float64 ---------------------------------------
TRAJ_TIME_S = 0  # race clock after the step, penalties included
TRAJ_X_M = 1
TRAJ_Y_M = 2
TRAJ_HEADING_RAD = 3
TRAJ_SPEED_M_S = 4
TRAJ_STEERING_DEG = 5
TRAJ_PROGRESS = 6  # fraction of the current lap in [0, 1)
TRAJ_LAP = 7  # laps completed
TRAJ_ACTION = 8  # discrete action index, or -1 for continuous
TRAJ_ON_TRACK = 9  # 1.0 on track, 0.0 off track (the step that triggered a reset)
TRAJ_COLUMNS = (
    "time_s",
    "x_m",
    "y_m",
    "heading_rad",
    "speed_m_s",
    "steering_deg",
    "progress",
    "lap",
    "action",
    "on_track",
)
TRAJ_SIZE = len(TRAJ_COLUMNS)

# --- Continuous action output [1, 2] -----------------------------------------------------
ACTION_STEERING = 0
ACTION_SPEED = 1

# --- Sensor input names for models with several inputs -----------------------------------
# Each input is named after its sensor. A model has at most one camera, the front camera
# or the stereo pair, and its input is `camera` either way.
CAMERA_SENSORS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS")
INPUT_NAMES = {"FRONT_FACING_CAMERA": "camera", "STEREO_CAMERAS": "camera", "LIDAR": "lidar", "STATE": "state"}
# STEREO_CAMERAS input: the two grey frames as two channels, in this order.
STEREO_LEFT = 0
STEREO_RIGHT = 1
