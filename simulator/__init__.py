"""The official race simulator: pure Python + numpy + onnxruntime, no Django.

The same package runs official races on the league's workers and time trials on a
competitor's laptop, so both give bit-identical results for the same inputs.
"""

SIMULATOR_VERSION = "1.0.0"

__all__ = ["SIMULATOR_VERSION"]
