"""The shipped tracks: valid, and the committed files are exactly what the generator makes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simulator import trackgen
from simulator.trackgen import (
    DEFAULT_OUT_DIR,
    DESIGNS,
    TrackDesign,
    build_track_array,
    track_problems,
    track_stats,
)

BY_SLUG = {design.slug: design for design in DESIGNS}


def _arc(cx, cy, r, a0_deg, a1_deg, n):
    return [
        (cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
        for a in np.linspace(a0_deg, a1_deg, n)
    ]


def _stadium(leg_gap_m: float, straight_m: float = 6.0, width_m: float = 0.8) -> TrackDesign:
    """A counter-clockwise stadium whose straights are leg_gap_m apart, centre to centre."""
    r = leg_gap_m / 2
    points = [(straight_m / 2, 0.0)] + _arc(straight_m, r, r, -90, 90, 6) + _arc(0.0, r, r, 90, 270, 6)
    return TrackDesign("test", "Test", "", "beginner", tuple(points), width_m)


@pytest.fixture(scope="module")
def built():
    return {design.slug: build_track_array(design) for design in DESIGNS}


def test_designs_cover_the_brief():
    assert len(DESIGNS) >= 4
    assert len(BY_SLUG) == len(DESIGNS), "slugs must be unique"
    difficulties = {design.difficulty for design in DESIGNS}
    assert difficulties <= set(trackgen.DIFFICULTIES)
    assert "beginner" in difficulties and "advanced" in difficulties
    assert any(isinstance(design.width_m, tuple) for design in DESIGNS), "one track varies in width"
    for design in DESIGNS:
        assert design.name and design.description.strip()
        assert design.slug == design.slug.lower() and " " not in design.slug


@pytest.mark.parametrize("slug", BY_SLUG)
def test_track_is_valid(slug, built):
    arr = built[slug]
    assert track_problems(arr) == []
    stats = track_stats(arr)
    assert 15.0 <= stats.length_m <= 60.0
    assert 0.76 - 1e-5 <= stats.min_width_m <= stats.max_width_m <= 1.07 + 1e-5
    assert stats.min_radius_m >= 0.6


@pytest.mark.parametrize("slug", BY_SLUG)
def test_deepracer_layout(slug, built):
    arr = built[slug]
    assert arr.dtype == np.float64 and arr.ndim == 2 and arr.shape[1] == 6
    assert np.array_equal(arr[0], arr[-1]), "first row repeated as the last"
    assert 100 <= len(arr) <= 400
    center = arr[:, 0:2]
    steps = np.linalg.norm(np.diff(center, axis=0), axis=1)
    assert np.allclose(steps, trackgen.WAYPOINT_SPACING_M, atol=0.01)
    # Centre half-way between the borders; inner = left of the driving direction.
    assert np.allclose(center, (arr[:, 2:4] + arr[:, 4:6]) / 2, atol=1e-5)
    heading = np.diff(center, axis=0)
    to_inner = arr[:-1, 2:4] - center[:-1]
    assert np.all(heading[:, 0] * to_inner[:, 1] - heading[:, 1] * to_inner[:, 0] > 0)


def test_the_four_characters(built):
    stats = {slug: track_stats(arr) for slug, arr in built.items()}
    oval = stats["oval-loop"]
    assert 17.0 <= oval.length_m <= 22.0 and oval.min_width_m >= 1.05 and oval.min_radius_m >= 1.0
    technical = stats["paperclip"]
    assert 25.0 <= technical.length_m <= 35.0 and technical.max_width_m <= 0.85
    fast = stats["riverside-sweep"]
    assert 30.0 <= fast.length_m <= 40.0 and fast.min_radius_m >= 1.5
    grand_prix = stats["grand-prix"]
    assert 45.0 <= grand_prix.length_m <= 60.0 and grand_prix.max_width_m - grand_prix.min_width_m > 0.1


@pytest.mark.parametrize("slug", BY_SLUG)
def test_committed_file_matches_generator(slug, built):
    on_disk = np.load(DEFAULT_OUT_DIR / f"{slug}.npy", allow_pickle=False)
    assert on_disk.dtype == np.float64
    np.testing.assert_array_equal(on_disk, built[slug], err_msg="run python -m simulator.trackgen")


def test_committed_catalog_matches_generator(built):
    catalog = json.loads((DEFAULT_OUT_DIR / "catalog.json").read_text(encoding="utf-8"))
    assert catalog == [trackgen.catalog_entry(design, built[design.slug]) for design in DESIGNS]
    for entry in catalog:
        assert set(entry) == {"slug", "name", "description", "file", "length_m", "width_m", "difficulty"}
        assert (DEFAULT_OUT_DIR / entry["file"]).is_file()
        assert entry["difficulty"] in trackgen.DIFFICULTIES
        assert 15.0 <= entry["length_m"] <= 60.0 and 0.76 <= entry["width_m"] <= 1.07


def test_generator_is_deterministic_and_matches_committed_bytes(tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    assert trackgen.main(["--out", str(first)]) == 0
    assert trackgen.main(["--out", str(second)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * len(DESIGNS) and all("waypoints" in line for line in lines)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted([f"{d.slug}.npy" for d in DESIGNS] + ["catalog.json"])
    for name in names:
        produced = (first / name).read_bytes()
        assert produced == (second / name).read_bytes()
        assert produced == (DEFAULT_OUT_DIR / name).read_bytes(), f"{name} is stale: regenerate"


def test_help_exits_cleanly(capsys):
    with pytest.raises(SystemExit) as exc:
        trackgen.main(["--help"])
    assert exc.value.code == 0
    assert "--out" in capsys.readouterr().out


# --- The checks catch bad tracks ---------------------------------------------------------


def test_a_good_stadium_passes():
    assert track_problems(build_track_array(_stadium(leg_gap_m=2.0))) == []


def test_clockwise_is_rejected():
    arr = build_track_array(_stadium(leg_gap_m=2.0))[::-1]
    assert "not counter-clockwise" in track_problems(arr)


def test_swapped_borders_are_rejected():
    arr = build_track_array(_stadium(leg_gap_m=2.0))[:, [0, 1, 4, 5, 2, 3]]
    assert "the inner border is not on the infield side" in track_problems(arr)


def test_parts_too_close_are_rejected():
    # Straights 1.4 m apart, 1.0 m wide: 0.4 m of grass between them.
    problems = track_problems(build_track_array(_stadium(leg_gap_m=1.4, width_m=1.0)))
    assert any("grass" in p for p in problems), problems


def test_tight_bend_is_rejected():
    problems = track_problems(build_track_array(_stadium(leg_gap_m=0.9, width_m=1.0)))
    assert any(p.startswith("radius") for p in problems), problems
    assert any(p.startswith("inside edge radius") for p in problems), problems


@pytest.mark.parametrize("phase", [0.0, 0.1])  # 0.0: the crossing falls exactly on waypoints
def test_self_crossing_is_rejected(phase):
    # A figure of eight: the centre line crosses itself in the middle.
    angles = np.linspace(0, 2 * math.pi, 16, endpoint=False) + phase
    eight = tuple((3.0 * math.sin(a), 2.0 * math.sin(2 * a)) for a in angles)
    problems = track_problems(build_track_array(TrackDesign("eight", "8", "", "beginner", eight, 0.8)))
    assert "the centre line crosses itself" in problems


def test_out_of_range_length_and_width_are_rejected():
    small = TrackDesign("small", "S", "", "beginner", tuple(_arc(0, 0, 2.0, 0, 337.5, 16)), 1.2)
    problems = track_problems(build_track_array(small))
    assert any(p.startswith("length") for p in problems) and any(p.startswith("width") for p in problems)


def test_bad_design_is_not_written(tmp_path):
    tiny = TrackDesign("tiny", "T", "", "beginner", tuple(_arc(0, 0, 1, 0, 270, 4)), 0.8)
    with pytest.raises(ValueError, match="tiny"):
        trackgen.write_tracks(tmp_path, [tiny])
    assert not any(tmp_path.iterdir())


def test_width_count_must_match_points():
    design = TrackDesign("w", "W", "", "beginner", ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)), (0.8, 0.9))
    with pytest.raises(ValueError, match="widths"):
        build_track_array(design)
