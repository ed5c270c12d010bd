"""Why a run failed, in words a competitor can act on: the kinds of failure and their
usual causes.

The one definition for the command line (a local run that fails prints them) and the
league (the submission page and the API explain a failed run with them). A kind is read
from the policy's own message (simulator/policy.py words each failure once) or, for what
the league's sandbox ends, named by the league (`memory`, `cpu_time`, `wall_clock`,
`signal`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FailureKind:
    key: str
    title: str
    causes: tuple[str, ...]
    # Whether a local run of the same model fails the same way: not for the sandbox's
    # memory, CPU time and wall clock, which a competitor's own machine does not impose.
    local: bool = True


FAILURE_KINDS: dict[str, FailureKind] = {
    kind.key: kind
    for kind in (
        FailureKind(
            "nan", "The model returned NaN or infinity",
            (
                "Training diverged: weights grew to infinity (learning rate too high, no gradient clipping).",
                "A division or logarithm of zero inside the exported graph (a normalisation with zero "
                "variance, a log-probability head exported instead of the action scores).",
                "Inputs scaled unlike in training: a camera read as 0..255 where the network learnt 0..1, "
                "or a STATE value (speed 0 at the start line, a reset) it never saw.",
            ),
        ),
        FailureKind(
            "shape", "The model returned an output of the wrong shape",
            (
                "The network's head does not match model_metadata.json: it must give one score per "
                "discrete action, or two values (steering, speed) for a continuous space.",
                "The first output is not the policy: export the action head first (a value head "
                "or an extra output goes after it).",
                "A batch or sequence dimension left dynamic at export, which the graph fills differently at race time.",
            ),
        ),
        FailureKind(
            "too_slow", "The model was too slow for the car's control rate",
            (
                "A network too large for one CPU thread: the car acts 15 times a second, so a step "
                "must take under 1/15 s on average.",
                "Convolutions on the full 160x120 camera frame with many channels: downsample early or use fewer filters.",
                "A Loop or Scan in the graph that runs many iterations; `python -m simulator check` "
                "prints the time of one inference.",
            ),
        ),
        FailureKind(
            "crash", "The model crashed during inference",
            (
                "Shapes fixed at export time that do not hold at race time (a Reshape with a hard-coded size).",
                "An operator used outside what onnxruntime supports for its input types.",
                "An input of another type or layout than the metadata's sensor (uint8 against float32, NCHW against NHWC).",
            ),
        ),
        FailureKind(
            "memory", "The model ran out of memory",
            (
                "Intermediate tensors far larger than the input (a Tile, Expand or outer product that blows up).",
                "A graph that allocates per step and never frees (a growing Loop state).",
            ),
            local=False,
        ),
        FailureKind(
            "cpu_time", "The race used up its CPU time",
            (
                "Inference slow on average over the whole race: make the network smaller or cheaper.",
                "A long time cap with a car that never finishes: every second of race costs 15 inferences.",
            ),
            local=False,
        ),
        FailureKind(
            "wall_clock", "The race ran out of time",
            (
                "Inference that stalls (a Loop with a huge trip count) or is slow on every step.",
            ),
            local=False,
        ),
        FailureKind(
            "signal", "The model crashed the simulator",
            (
                "A malformed graph that makes the runtime itself crash: export again with standard "
                "operators and a current exporter.",
            ),
        ),
        FailureKind(
            "model", "The model could not be raced",
            (
                "The model or its metadata changed what the upload check accepted, or the race does "
                "not allow one of its sensors.",
            ),
        ),
    )
}

# How simulator/policy.py words each failure of a step (the message's start).
_MESSAGE_KINDS = (
    ("the model returned nan", "nan"),
    ("the model returned shape", "shape"),
    ("the model is too slow", "too_slow"),
    ("the model crashed", "crash"),
    # How simulator/stops.py words the sandbox's limits when it ends a race itself.
    ("the race used up its cpu time", "cpu_time"),
    ("the race ran out of time", "wall_clock"),
)


def kind_of_message(message: str) -> str:
    """The kind of a policy's failure message ("crash" for one this module does not know)."""
    text = (message or "").strip().lower()
    for prefix, kind in _MESSAGE_KINDS:
        if text.startswith(prefix):
            return kind
    return "crash"


def failure_kind(key: str | None) -> FailureKind:
    """The kind of this key (an unknown or missing one reads as a crash)."""
    return FAILURE_KINDS.get(key or "", FAILURE_KINDS["crash"])
