"""Race videos: a follow view of the car with a minimap and timing overlays, as H.264 MP4.

One video frame per control step (15 fps, the simulator's 15 Hz control), so the car
moves at real speed and `frames == steps`, `duration == steps / 15 s`. The race clock
shown in the corner is the official one: an off-track penalty makes it jump by the
penalty (e.g. +3 s) between two frames while a "+3 s PENALTY" card stays on screen for
two seconds; the video does not freeze for the penalty time.

Cost is kept flat and small: the track is drawn once as a large picture at the follow
view's scale; every frame is an affine crop of it (Pillow, nearest neighbour at 1:1,
so no resampling blur), a car sprite, a pre-drawn minimap with a dot, and text; frames
are converted to yuv420p by one reused converter and encoded one at a time (libx264's
"ultrafast" preset, one thread), never held. With more than one core a second thread
draws a few frames ahead of the encoder (`encode._frames_ahead`).

- `inputs`: the settings (`VideoSpec`, `VideoLabels`) and the replay unpacked into arrays;
- `hud`: the overlays (clocks, speed and steering, minimap, cards);
- `frames`: the follow view and the frames themselves (`video_frames`);
- `encode`: the MP4 file (`render_video`, `probe_video`), through PyAV;
- `bench`, `cli`: `python -m simulator.video render REPLAY.json --track SLUG_OR_PATH
  --out OUT.mp4` renders a replay file; `python -m simulator.video bench` times a 60 s
  race on one core.
"""
