"""Django-level test data (racers, seasons, races, stored models) made through the real
services, and the hostile ONNX files the server must refuse. Simulator-level builders
(tracks, metadata, small policies) live in tests/simulator/builders.py."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import onnx
from django.core.files.base import ContentFile
from onnx import TensorProto, helper, numpy_helper
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from league.community import community_race_create, role_grant
from league.models import Race, Racer, Season
from league.services import racer_signup
from racing.models import PolicyModel
from simulator import layout as L
from simulator.drivers import state_driver
from simulator.metadata import DEFAULT_CONTINUOUS_SPACE as CONTINUOUS_SPACE
from tracks.models import Track
from tests.simulator.builders import npy_bytes
from tracks.services import track_import

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"
DATA_DIR = Path(__file__).resolve().parent.parent / "tracks" / "data"


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


# --- League -------------------------------------------------------------------------------


def racer(alias: str | None = None, *, username: str | None = None, staff: bool = False) -> Racer:
    alias = alias or unique("Racer ")
    r = racer_signup(username=username or unique("user"), password=PASSWORD, alias=alias)
    if staff:
        r.user.is_staff = True
        r.user.is_superuser = True
        r.user.save()
    return r


def oval_waypoints(radius_m: float = 3.0, width_m: float = 1.0, n: int = 60) -> np.ndarray:
    """A circle, counter-clockwise, DeepRacer's (N, 6) layout, first row repeated."""
    a = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    ring = lambda r: np.stack([r * np.cos(a), r * np.sin(a)], axis=1)  # noqa: E731
    arr = np.concatenate([ring(radius_m), ring(radius_m - width_m / 2), ring(radius_m + width_m / 2)], axis=1)
    return np.concatenate([arr, arr[:1]])


def track(slug: str = "oval-loop") -> Track:
    """A shipped track (loaded through the real import) or, failing that, a circle."""
    existing = Track.objects.filter(slug=slug).first()
    if existing:
        return existing
    catalog = json.loads((DATA_DIR / "catalog.json").read_text())
    entry = next((e for e in catalog if e["slug"] == slug), None)
    if entry is not None:
        data = (DATA_DIR / entry["file"]).read_bytes()
        return track_import(data=data, name=entry["name"], slug=slug, is_shipped=True)[0]
    return track_import(data=npy_bytes(oval_waypoints()), name=slug.title(), slug=slug)[0]


def season(status: str = "open", *, slug: str | None = None, tracks=None, **race_kwargs) -> Season:
    from league.services import season_create, season_open

    s = season_create(slug=slug or unique("season-"), tracks=tracks or [track()], **race_kwargs)
    if status == "open":
        season_open(s)
    elif status == "closed":
        s.status = Season.Status.CLOSED
        s.save()
    s.refresh_from_db()
    return s


def race(**kwargs) -> Race:
    """A race accepting submissions (its season open) unless a status is given."""
    status = kwargs.pop("status", "open")
    return season(status, **kwargs).races.select_related("season", "track").get()


def facilitator(alias: str | None = None, **kwargs) -> Racer:
    """A racer granted the facilitator role (league.community.role_grant)."""
    r = racer(alias, **kwargs)
    role_grant(r.user, "facilitator")
    return r


def community_race(owner: Racer | None = None, *, on: Track | None = None, name: str | None = None,
                   **settings) -> Race:
    """A community race made by the real service: open now for 7 days, public, the
    community defaults, unless `settings` say otherwise."""
    return community_race_create(
        owner=owner or facilitator(), track=on or track(), name=name or unique("Community race "), **settings
    )


def api_client(who=None):
    """A DRF test client with the API token of `who` (a Racer or a user; None:
    anonymous): each request authenticates afresh, as a real client does."""
    client = APIClient()
    if who is not None:
        token, _ = Token.objects.get_or_create(user=getattr(who, "user", who))
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- ONNX policies ------------------------------------------------------------------------


def state_metadata(**overrides) -> dict:
    meta = {
        "action_space": CONTINUOUS_SPACE,
        "sensor": ["STATE"],
        "neural_network": "TEST",
        "training_algorithm": "clipped_ppo",
        "action_space_type": "continuous",
        "version": "5",
    }
    meta.update(overrides)
    return meta


def discrete_metadata(n: int = 3, sensor: str = "STATE") -> dict:
    space = [{"steering_angle": float(s), "speed": 1.0} for s in np.linspace(-30, 30, n)]
    return {"action_space": space, "sensor": [sensor], "action_space_type": "discrete", "version": "5"}


def good_state_onnx() -> bytes:
    """The STATE house driver: finishes the shipped tracks."""
    return state_driver().SerializeToString()


def _model(nodes, inputs, outputs, initializers=(), opsets=(("", 17),), check=True) -> bytes:
    graph = helper.make_graph(nodes, "policy", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    return model.SerializeToString()


def _io(name: str, shape: list, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def linear_onnx(in_size: int = L.STATE_SIZE, out_size: int = 2, input_name: str = "state") -> bytes:
    """state -> Tanh(state @ W): a valid, harmless policy of any shape."""
    w = numpy_helper.from_array(np.full((in_size, out_size), 0.01, np.float32), "W")
    nodes = [helper.make_node("MatMul", [input_name, "W"], ["h"]), helper.make_node("Tanh", ["h"], ["action"])]
    return _model(nodes, [_io(input_name, [1, in_size])], [_io("action", [1, out_size])], [w])


def nan_when_stopped_onnx() -> bytes:
    """Fine at trial inference (inputs 0.5), NaN on the start line (speed 0):
    Sqrt(speed - 0.25) is NaN for a car at rest."""
    starts = numpy_helper.from_array(np.array([0], np.int64), "starts")
    ends = numpy_helper.from_array(np.array([1], np.int64), "ends")
    axes = numpy_helper.from_array(np.array([1], np.int64), "axes")
    quarter = numpy_helper.from_array(np.array([[0.25]], np.float32), "quarter")
    zeros = numpy_helper.from_array(np.zeros((1, 2), np.float32), "zeros")
    nodes = [
        helper.make_node("Slice", ["state", "starts", "ends", "axes"], ["speed"]),
        helper.make_node("Sub", ["speed", "quarter"], ["d"]),
        helper.make_node("Sqrt", ["d"], ["r"]),
        helper.make_node("Add", ["zeros", "r"], ["action"]),
    ]
    return _model(
        nodes, [_io("state", [1, L.STATE_SIZE])], [_io("action", [1, 2])], [starts, ends, axes, quarter, zeros]
    )


def nan_mid_lap_onnx(progress: float = 0.6) -> bytes:
    """The STATE house driver until the car passes `progress` of its first lap, then NaN:
    a run that fails mid-lap, where its replay and map show the path up to the failure."""
    model = state_driver()
    for node in model.graph.node:
        node.output[:] = ["driver_action" if name == "action" else name for name in node.output]
    consts = [
        numpy_helper.from_array(np.array([L.STATE_PROGRESS], np.int64), "p_start"),
        numpy_helper.from_array(np.array([L.STATE_PROGRESS + 1], np.int64), "p_end"),
        numpy_helper.from_array(np.array([1], np.int64), "p_axis"),
        numpy_helper.from_array(np.array([[progress]], np.float32), "p_limit"),
        numpy_helper.from_array(np.array([[np.nan]], np.float32), "p_nan"),
        numpy_helper.from_array(np.array([[0.0]], np.float32), "p_zero"),
    ]
    model.graph.initializer.extend(consts)
    model.graph.node.extend([
        helper.make_node("Slice", ["state", "p_start", "p_end", "p_axis"], ["p_now"]),
        helper.make_node("Greater", ["p_now", "p_limit"], ["p_past"]),
        helper.make_node("Where", ["p_past", "p_nan", "p_zero"], ["p_bad"]),
        helper.make_node("Add", ["driver_action", "p_bad"], ["action"]),
    ])  # fmt: skip
    onnx.checker.check_model(model)
    return model.SerializeToString()


def slow_onnx(size: int = 1536) -> bytes:
    """Seconds per inference on one thread: (Tile -> size x size) @ its transpose, twice."""
    reps = numpy_helper.from_array(np.array([size, size // L.STATE_SIZE + 1], np.int64), "reps")
    starts = numpy_helper.from_array(np.array([0, 0], np.int64), "starts")
    ends = numpy_helper.from_array(np.array([size, size], np.int64), "ends")
    ends2 = numpy_helper.from_array(np.array([1, 2], np.int64), "ends2")
    nodes = [
        helper.make_node("Tile", ["state", "reps"], ["big"]),
        helper.make_node("Slice", ["big", "starts", "ends"], ["sq"]),
        helper.make_node("Transpose", ["sq"], ["sqt"], perm=[1, 0]),
        helper.make_node("MatMul", ["sq", "sqt"], ["p1"]),
        helper.make_node("MatMul", ["p1", "sq"], ["p2"]),
        helper.make_node("MatMul", ["p2", "sqt"], ["p3"]),
        helper.make_node("Slice", ["p3", "starts", "ends2"], ["s"]),
        helper.make_node("Tanh", ["s"], ["action"]),
    ]
    return _model(
        nodes, [_io("state", [1, L.STATE_SIZE])], [_io("action", [1, 2])], [reps, starts, ends, ends2]
    )


def memory_hog_onnx(gigabytes: int = 8) -> bytes:
    """Asks for `gigabytes` of activations at every inference (Tile of the input)."""
    rows = gigabytes * (1 << 30) // (4 * L.STATE_SIZE)
    reps = numpy_helper.from_array(np.array([rows, 1], np.int64), "reps")
    nodes = [
        helper.make_node("Tile", ["state", "reps"], ["big"]),
        helper.make_node("ReduceMean", ["big"], ["m"], axes=[0], keepdims=1),
        helper.make_node("Slice", ["m", "s0", "s2", "ax"], ["action"]),
    ]
    consts = [
        reps,
        numpy_helper.from_array(np.array([0], np.int64), "s0"),
        numpy_helper.from_array(np.array([2], np.int64), "s2"),
        numpy_helper.from_array(np.array([1], np.int64), "ax"),
    ]
    return _model(nodes, [_io("state", [1, L.STATE_SIZE])], [_io("action", [1, 2])], consts, opsets=(("", 13),))


# --- Stored models ------------------------------------------------------------------------


def policy_model(owner: Racer, *, name: str | None = None, onnx_bytes: bytes | None = None,
                 metadata: dict | None = None) -> PolicyModel:
    """A stored model without the upload check (tests of upload use model_upload)."""
    import hashlib

    data = onnx_bytes if onnx_bytes is not None else good_state_onnx()
    meta = metadata or state_metadata()
    model = PolicyModel(
        owner=owner,
        name=name or unique("model-"),
        metadata=meta,
        sha256=hashlib.sha256(data).hexdigest(),
        sensors=list(meta["sensor"]),
        action_space_type=meta["action_space_type"],
        action_count=len(meta["action_space"]) if meta["action_space_type"] == "discrete" else None,
        size_bytes=len(data),
        info={},
    )
    model.onnx.save("model.onnx", ContentFile(data), save=False)
    model.save()
    return model


def head_to_head_race(existing: Race | None = None, **ladder_rules) -> Race:
    """A race (an open league race unless given) of format head_to_head, with its ladder
    rules (the defaults unless given)."""
    from ladder.models import LadderRules

    h2h = existing or race()
    h2h.format = "head_to_head"
    h2h.save(update_fields=["format"])
    LadderRules.objects.create(race=h2h, **ladder_rules)
    return h2h


def qualified_submission(race: Race, racer: Racer, time_s: float = 30.0):
    """A submission whose qualifying run raced: a finished result on the race's board."""
    from racing.models import Result, Submission
    from racing.standings import race_standing_apply

    sub = Submission.objects.create(racer=racer, model=policy_model(racer), race=race, status="finished")
    result = Result.objects.create(
        submission=sub, race=race, racer=racer, status="finished", timing_method="TOTAL_TIME",
        official_time_s=time_s, laps_completed=3, total_time_s=time_s, progress=0.0, off_track_count=0,
        steps=100, simulator_version="t", onnxruntime_version="t", numpy_version="t")
    race_standing_apply(result)
    return sub
