"""The official race simulator: pure Python + numpy + onnxruntime, no Django.

The same package runs official races on the league's workers and time trials on a
competitor's laptop, so both give bit-identical results for the same inputs.
"""

SIMULATOR_VERSION = "1.2.0"

__all__ = ["SIMULATOR_VERSION"]


def _register_env() -> None:
    """`gymnasium.make("simulator/TimeTrial-v0", ...)`; the env module loads on first make."""
    try:
        import gymnasium  # optional: only the competitor kit (the env) needs it
    except ImportError:  # the race runner does not need it
        return
    if "simulator/TimeTrial-v0" not in gymnasium.registry:
        gymnasium.register(id="simulator/TimeTrial-v0", entry_point="simulator.env:TimeTrialEnv")


_register_env()
