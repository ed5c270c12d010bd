"""model_metadata.json: parsing, DeepRacer's defaults and every refusal (field and phrase)."""

from __future__ import annotations

import json

import pytest

from simulator.metadata import DEFAULT_CONTINUOUS_SPACE, ModelError, parse_metadata
from simulator.params import DEFAULT_MAX_METADATA_BYTES, CarParams

from . import builders as B

STATE_META = B.continuous_metadata()
SUPPORTED = "FRONT_FACING_CAMERA, STEREO_CAMERAS, LIDAR, STATE"


def test_discrete_metadata():
    raw = B.discrete_metadata([(-30, 0.6), (0, 1.2), (30, 0.6)], sensor="LIDAR")
    raw["preprocess_type"] = "GREY_SCALE"
    meta = parse_metadata(raw)
    assert meta.sensors == ("LIDAR",)
    assert meta.action_space_type == "discrete"
    assert [(a.steering_deg, a.speed_m_s) for a in meta.actions] == [(-30, 0.6), (0, 1.2), (30, 0.6)]
    assert meta.raw["preprocess_type"] == "GREY_SCALE"  # unknown keys are kept


def test_continuous_metadata():
    meta = parse_metadata(B.continuous_metadata(steering=(-20, 25), speed=(0.8, 3.5)))
    assert meta.action_space_type == "continuous"
    assert meta.steering_range_deg == (-20, 25) and meta.speed_range_m_s == (0.8, 3.5)


@pytest.mark.parametrize("encode", [lambda d: d, json.dumps, lambda d: json.dumps(d).encode()])
def test_metadata_from_dict_text_or_bytes(encode):
    assert parse_metadata(encode(STATE_META)).sensors == ("STATE",)


def test_deepracer_defaults():
    # No sensor: DeepRacer's camera. No type: a list is discrete, an object continuous.
    meta = parse_metadata({"action_space": [{"steering_angle": 0, "speed": 1}]})
    assert meta.sensors == ("FRONT_FACING_CAMERA",) and meta.action_space_type == "discrete"
    meta = parse_metadata({"sensor": "STATE", "action_space": STATE_META["action_space"]})
    assert meta.sensors == ("STATE",) and meta.action_space_type == "continuous"


def test_the_default_continuous_space_is_the_cars_full_range():
    car = CarParams()
    meta = parse_metadata({"sensor": ["STATE"], "action_space": DEFAULT_CONTINUOUS_SPACE})
    assert meta.steering_range_deg == (-car.max_steering_deg, car.max_steering_deg)
    assert meta.speed_range_m_s[1] == car.max_speed_m_s


def test_actions_are_rounded():
    meta = parse_metadata(B.discrete_metadata([(12.34567, 1.23456)]))
    assert meta.actions[0].steering_deg == 12.35 and meta.actions[0].speed_m_s == 1.235


def test_metadata_with_a_byte_order_mark_is_read():
    meta = parse_metadata(b"\xef\xbb\xbf" + json.dumps(STATE_META).encode())
    assert meta.sensors == ("STATE",)


def _meta(**changes):
    d = json.loads(json.dumps(STATE_META))
    for key, value in changes.items():
        if value is None:
            d.pop(key)
        else:
            d[key] = value
    return d


def _space(steer=(-30, 30), speed=(0.5, 4)):
    return {"steering_angle": {"low": steer[0], "high": steer[1]}, "speed": {"low": speed[0], "high": speed[1]}}


METADATA_ERRORS = {
    "not-json": ("{'action_space': [}", "not valid JSON"),
    "not-utf8": (b"\xff\xfe\x00{", "not UTF-8"),
    "not-an-object": ("[1, 2, 3]", "must be a JSON object"),
    "too-big": (b" " * (DEFAULT_MAX_METADATA_BYTES + 1), "larger than the 1 MiB limit"),
    "missing-action-space": (_meta(action_space=None), 'no "action_space"'),
    "steering-over-30": (_meta(action_space=_space(steer=(-30, 31))), "steering must be within -30..30"),
    "discrete-steering-over-30": (
        B.discrete_metadata([(0, 1), (45, 1)]), "action 1 steering_angle is 45 deg; steering must be within -30..30"),
    "steering-low": (_meta(action_space=_space(steer=(-45, 30))),
                     "the steering_angle low is -45 deg; steering must be within -30..30 degrees"),
    "speed-high-not-a-number": (_meta(action_space=_space(speed=(0.5, "4"))), 'the speed high must be a number, got "4"'),
    "speed-too-high": (_meta(action_space=_space(speed=(0.5, 5))), "speed must be within 0.1..4"),
    "speed-too-low": (B.discrete_metadata([(0, 0.05)]), "speed must be within 0.1..4"),
    "speed-not-a-number": (B.discrete_metadata([(0, "fast")]), 'action 0 speed must be a number, got "fast"'),
    "steering-bool": (B.discrete_metadata([(True, 1)]), "must be a number"),
    "speed-nan": ('{"action_space": [{"steering_angle": 0, "speed": NaN}]}', "finite"),
    "unknown-sensor": (_meta(sensor=["SECTOR_LIDAR"]), f"unsupported sensor SECTOR_LIDAR; supported sensors: {SUPPORTED}"),
    "lowercase-sensor": (_meta(sensor=["state"]), f"supported sensors: {SUPPORTED}"),
    "sensor-twice": (_meta(sensor=["STATE", "STATE"]), "the same sensor twice"),
    "no-sensors": (_meta(sensor=[]), "must be a list of sensor names"),
    "bad-type": (_meta(action_space_type="hybrid"), 'use "discrete" or "continuous"'),
    "empty-discrete": (B.discrete_metadata([]), "non-empty list"),
    "action-without-speed": (_meta(action_space=[{"steering_angle": 0}], action_space_type="discrete"), "must have both"),
    "too-many-actions": (B.discrete_metadata([(0, 1)] * 101), "at most 100"),
    "low-above-high": (_meta(action_space=_space(speed=(3, 1))), "low 3 above high 1"),
    "range-without-high": (_meta(action_space={"steering_angle": {"low": -30}, "speed": {"low": 1, "high": 2}}),
                           'needs "low" and "high"'),
    "continuous-as-list": (_meta(action_space=[1, 2]), 'a continuous "action_space" must be'),
}


@pytest.mark.parametrize("case", sorted(METADATA_ERRORS))
def test_metadata_errors(refused, case):
    source, phrase = METADATA_ERRORS[case]
    refused(lambda: parse_metadata(source), "metadata", phrase)


@pytest.mark.parametrize("case", sorted(METADATA_ERRORS))
def test_metadata_errors_start_with_a_word_not_a_key(case):
    # The upload capitalises a message's first letter: "Steering_angle low ..." read oddly.
    with pytest.raises(ModelError) as err:
        parse_metadata(METADATA_ERRORS[case][0])
    first = err.value.message.split(" ", 1)[0]
    assert "_" not in first or first.startswith(("model_metadata", '"')), err.value.message


@pytest.mark.parametrize(
    "text, phrase",
    [("[" * 100_000 + "]" * 100_000, "nested too deeply"),
     ('{"x": ' + "9" * 5000 + "}", "a number is too long to read")],
)
def test_absurd_metadata_is_refused_with_a_message(refused, text, phrase):
    refused(lambda: parse_metadata(text.encode()), "metadata", phrase)


def test_the_size_cap_is_the_callers(refused):
    data = json.dumps(STATE_META).encode()
    refused(lambda: parse_metadata(data, max_metadata_bytes=len(data) - 1), "metadata",
            f"larger than the {len(data) - 1} bytes limit")
    assert parse_metadata(data, max_metadata_bytes=len(data)).sensors == ("STATE",)
    padded = data + b" " * DEFAULT_MAX_METADATA_BYTES  # over the default, within a larger cap
    assert parse_metadata(padded, max_metadata_bytes=2 * DEFAULT_MAX_METADATA_BYTES).sensors == ("STATE",)


def test_limits_in_messages_are_the_cars():
    """The steering and speed ranges of the refusals come from CarParams."""
    car = CarParams()
    lock = f"{car.max_steering_deg:g}"
    with pytest.raises(ValueError, match=rf"within -{lock}\.\.{lock} degrees"):
        parse_metadata(B.discrete_metadata([(car.max_steering_deg + 1, 1)]))
    with pytest.raises(ValueError, match=rf"within {car.min_speed_m_s:g}\.\.{car.max_speed_m_s:g} m/s"):
        parse_metadata(B.discrete_metadata([(0, car.max_speed_m_s + 1)]))
