"""Train a STATE policy with Stable-Baselines3 (PPO, PyTorch) and export it to ONNX.

Not part of the league's requirements; install the deep-learning side yourself:

    pip install stable-baselines3 torch onnxscript
    python examples/train_sb3.py --out sb3-model                 # ~10 minutes on a laptop
    python -m simulator race sb3-model/model.onnx --track oval-loop

The recipe carries over to any Gymnasium learner:
1. make the environment with the metadata you will upload, so the observations are
   exactly what the race feeds your model and the actions mean what they will mean;
2. train (here with a DeepRacer reward function, or the environment's default reward:
   metres of progress per step);
3. export the deterministic action (the policy's mean for PPO) with `torch.onnx.export`:
   one input named after the sensor, shape [1, 26]; one output [1, 2] in [-1, 1];
4. check and race the package locally, then upload it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402,F401  (registers simulator/TimeTrial-v0)
from simulator import layout as L  # noqa: E402
from simulator.catalog import load_track  # noqa: E402
from simulator.policy import check_model, load_policy  # noqa: E402
from simulator.race import run_time_trial  # noqa: E402

METADATA = {
    "action_space": {"steering_angle": {"low": -30.0, "high": 30.0}, "speed": {"low": 0.5, "high": 4.0}},
    "sensor": ["STATE"],
    "neural_network": "MLP_64_64",
    "training_algorithm": "clipped_ppo",
    "action_space_type": "continuous",
    "version": "5",
}


def export_onnx(model, path: Path) -> None:
    """The policy's deterministic action, clipped to [-1, 1], as a one-input ONNX graph."""
    import torch  # not in the league's requirements: imported where used, so --help runs without it

    class Deterministic(torch.nn.Module):
        def __init__(self, policy):
            super().__init__()
            self.policy = policy

        def forward(self, state):
            features = self.policy.extract_features(state, self.policy.pi_features_extractor)
            latent = self.policy.mlp_extractor.forward_actor(features)
            return torch.clamp(self.policy.action_net(latent), -1.0, 1.0)

    wrapper = Deterministic(model.policy.to("cpu")).eval()
    example = torch.zeros(1, L.STATE_SIZE, dtype=torch.float32)
    names = dict(input_names=["state"], output_names=["action"])
    with torch.no_grad():
        try:
            # torch >= 2.6 (needs onnxscript). The league wants one self-contained file:
            # external_data=False keeps the weights inside it.
            torch.onnx.export(wrapper, (example,), str(path), dynamo=True, external_data=False, **names)
        except (TypeError, ImportError):  # older torch, or no onnxscript: the TorchScript exporter
            torch.onnx.export(wrapper, (example,), str(path), opset_version=17, **names)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="sb3-model", help="folder for model.onnx + model_metadata.json")
    p.add_argument("--track", default="oval-loop")
    p.add_argument("--steps", type=int, default=300_000, help="environment steps to train for")
    p.add_argument("--envs", type=int, default=4, help="environments stepped side by side")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reward", metavar="FILE.py", help="a DeepRacer reward_function(params) file "
                   "(default: the environment's reward, metres of progress per step)")
    args = p.parse_args(argv)

    # Not in the league's requirements (see the module docstring): imported once needed.
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    env = make_vec_env(
        "simulator/TimeTrial-v0",
        n_envs=args.envs,
        seed=args.seed,
        env_kwargs={
            "track": args.track,
            "metadata": METADATA,  # the metadata you will upload
            "reward_function": str(Path(args.reward).resolve()) if args.reward else None,
            "random_start": True,  # see the whole track from the first episodes
            "rules": {"laps": 3, "time_cap_s": 60.0},  # shorter episodes than a race's 180 s
        },
    )
    model = PPO("MlpPolicy", env, seed=args.seed, n_steps=1024, batch_size=256, gamma=0.995,
                learning_rate=3e-4, ent_coef=0.0, verbose=1)
    model.learn(total_timesteps=args.steps)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, out / "model.onnx")
    (out / "model_metadata.json").write_text(json.dumps(METADATA, indent=2) + "\n")

    # The same checks the upload runs, then an official time trial.
    onnx_bytes = (out / "model.onnx").read_bytes()
    info = check_model(onnx_bytes, METADATA)
    result = run_time_trial(load_policy(onnx_bytes, METADATA), load_track(args.track))
    print(f"wrote {out / 'model.onnx'} ({info.size_bytes} bytes) and {out / 'model_metadata.json'}")
    print(f"official trial on {args.track}: {result.status}, {result.laps_completed} laps,"
          f" total {result.total_time_s:.3f} s, lap times {result.lap_times_s},"
          f" off track {result.off_track_count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
