"""The pixel-scale trap: a hand-converted TensorFlow model whose float32 camera input is
divided by 255 inside the graph passes every check but sees a black world; `check` warns.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from onnx import TensorProto

from simulator.onnx_build import GraphBuilder
from simulator.policy import check_model

from .. import builders as SB

META = SB.discrete_metadata([(0.0, 1.0), (10.0, 1.0)], sensor="FRONT_FACING_CAMERA")


def _camera_model(first_op: str, scale: float, input_type=TensorProto.FLOAT, via: str | None = None) -> bytes:
    b = GraphBuilder()
    x = "camera" if input_type == TensorProto.FLOAT else b.node("Cast", "camera", to=TensorProto.FLOAT)
    if via:
        x = b.node(via, x, perm=[0, 3, 1, 2]) if via == "Transpose" else b.node(via, x)
    x = b.node(first_op, x, b.const(scale))
    pooled = b.node("ReduceMean", x, axes=[1, 2, 3], keepdims=0)
    scores = b.node("Concat", b.node("Unsqueeze", pooled, b.const([1], np.int64)),
                    b.node("Unsqueeze", b.node("Neg", pooled), b.const([1], np.int64)), axis=1)  # fmt: skip
    model = b.model([("camera", input_type, [1, 120, 160, 1])], scores, "action", [1, 2])
    return model.SerializeToString()


TRAPPED = {
    "divided by 255": _camera_model("Div", 255.0),
    "multiplied by 1/255": _camera_model("Mul", 1.0 / 255.0),
    "after a transpose": _camera_model("Div", 255.0, via="Transpose"),
}


@pytest.mark.parametrize("model", TRAPPED.values(), ids=TRAPPED.keys())
def test_a_float32_camera_divided_by_255_is_warned_about(model):
    (warning,) = check_model(model, META).warnings
    assert "camera input 'camera' is float32 and the model divides it by 255" in warning
    assert "uint8" in warning and "python -m simulator import" in warning


FINE = {
    "uint8 input, cast then divided": _camera_model("Div", 255.0, input_type=TensorProto.UINT8),
    "float32 divided by something else": _camera_model("Div", 2.0),
    "float32 multiplied by 255": _camera_model("Mul", 255.0),
    "a camera model of ours": SB.camera_mean_model(),
}


@pytest.mark.parametrize("model", FINE.values(), ids=FINE.keys())
def test_other_camera_models_are_not_warned_about(model):
    assert check_model(model, META).warnings == ()


def test_check_prints_the_warning_loudly(cli, model_package):
    model, meta = model_package(TRAPPED["divided by 255"], META)
    code, out, err = cli("check", model, "--metadata", meta)
    assert code == 0, err
    assert out.startswith("OK ") and "\nWARNING  camera input 'camera' is float32" in out
    code, out, _ = cli("check", model, "--metadata", meta, "--json")
    report = json.loads(out)
    assert report["ok"] and len(report["warnings"]) == 1
    assert {"sha256", "size_bytes", "sensors", "inputs", "output", "trial_inference_ms"} <= report.keys()
