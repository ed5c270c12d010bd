"""The shipped-track catalog: slugs, paths, and the files under tracks/data/."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator import catalog
from simulator.track import TrackError

from . import builders as B


@pytest.fixture
def own_catalog(tmp_path, monkeypatch):
    """A catalog folder of our own: two stadiums, so these tests do not depend on what ships."""
    np.save(tmp_path / "small.npy", B.stadium())
    np.save(tmp_path / "long.npy", B.stadium(straight_m=10.0))
    entries = [
        {"slug": "small", "name": "Small Stadium", "description": "d1", "file": "small.npy",
         "difficulty": "beginner", "length_m": 17.42},
        {"slug": "long", "name": "Long Stadium", "description": "d2", "file": "long.npy"},
    ]
    (tmp_path / "catalog.json").write_text(json.dumps(entries))
    monkeypatch.setattr(catalog, "DATA_DIR", tmp_path)
    catalog.list_tracks.cache_clear()
    catalog._load_shipped.cache_clear()
    yield tmp_path
    catalog.list_tracks.cache_clear()
    catalog._load_shipped.cache_clear()


def test_list_tracks_reads_the_catalog(own_catalog):
    tracks = catalog.list_tracks()
    assert [t.slug for t in tracks] == ["small", "long"]
    assert tracks[0].name == "Small Stadium" and tracks[0].difficulty == "beginner"
    assert tracks[0].path == own_catalog / "small.npy"
    assert tracks[1].difficulty == ""


def test_load_track_by_slug_names_the_track_after_the_slug(own_catalog):
    t = catalog.load_track("long")
    assert t.name == "long"
    assert t.length_m == pytest.approx(B.polygon_length(B.stadium(straight_m=10.0)))


def test_load_track_by_path(own_catalog, tmp_path):
    t = catalog.load_track(str(own_catalog / "small.npy"))
    assert t.name == "small"
    assert catalog.load_track(own_catalog / "small.npy").n == t.n


def test_unknown_slug_lists_the_known_ones(own_catalog):
    with pytest.raises(TrackError) as err:
        catalog.load_track("monaco")
    assert "monaco" in str(err.value) and "small, long" in str(err.value)
    with pytest.raises(TrackError):
        catalog.get_track_info("monaco")


def test_no_catalog_means_no_tracks(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog, "DATA_DIR", tmp_path / "empty")
    catalog.list_tracks.cache_clear()
    try:
        assert catalog.list_tracks() == ()
        with pytest.raises(TrackError, match="none shipped"):
            catalog.load_track("oval")
    finally:
        catalog.list_tracks.cache_clear()


def test_a_missing_path_is_a_track_error_not_a_slug_lookup(own_catalog):
    with pytest.raises(TrackError, match="does not exist"):
        catalog.load_track("somewhere/else.npy")


def test_every_shipped_track_loads_and_matches_its_catalog_entry():
    """Whatever is shipped under tracks/data/ (possibly nothing yet) must load."""
    data = catalog.DATA_DIR / "catalog.json"
    entries = json.loads(data.read_text()) if data.is_file() else []
    catalog.list_tracks.cache_clear()
    assert [t.slug for t in catalog.list_tracks()] == [e["slug"] for e in entries]
    for entry in entries:
        track = catalog.load_track(entry["slug"])
        assert track.name == entry["slug"]
        if "length_m" in entry:
            assert track.length_m == pytest.approx(entry["length_m"], abs=0.01)
        assert catalog.get_track_info(entry["slug"]).path.is_file()
