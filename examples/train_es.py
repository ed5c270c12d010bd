"""Train a STATE policy with an evolution strategy, numpy only, and export it for the league.

    python examples/train_es.py --out my-model          # a few minutes on two cores
    python examples/train_es.py --quick --out /tmp/m    # under a minute (CI)
    python -m simulator race my-model/model.onnx --track oval-loop

The policy is a small dense network (26 STATE values -> 32 tanh units -> steering and
speed in [-1, 1]) that starts from random weights. Each generation tries a population of
perturbed weights (antithetic pairs) in the Gymnasium environment, i.e. under the
official race rules, and moves the weights towards the perturbations that covered the
most track in a fixed amount of race time (penalties included, so leaving the track
costs what it costs in a race). Every few generations the current network is exported
to ONNX and raced in an official time trial; the best one is written to --out as
`model.onnx` + `model_metadata.json`.

Everything is seeded (`--seed`): the same command gives the same model on the same
machine. Rollouts run on `--workers` processes (default 2).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from simulator import layout as L  # noqa: E402
from simulator.catalog import load_track  # noqa: E402
from simulator.env import TimeTrialEnv  # noqa: E402
from simulator.params import RaceRules  # noqa: E402
from simulator.policy import load_policy  # noqa: E402
from simulator.race import run_time_trial  # noqa: E402

HIDDEN = 32
METADATA = {
    "action_space": {"steering_angle": {"low": -30.0, "high": 30.0}, "speed": {"low": 0.5, "high": 4.0}},
    "sensor": ["STATE"],
    "neural_network": "MLP_26_32_2",
    "training_algorithm": "evolution_strategy",
    "action_space_type": "continuous",
    "version": "5",
}


def input_scale() -> np.ndarray:
    """Fixed input scaling, part of the exported model: every feature roughly in [-1, 1]."""
    s = np.ones(L.STATE_SIZE, dtype=np.float32)
    s[L.STATE_SPEED] = 1.0 / 4.0
    s[L.STATE_OFFSET] = 1.0 / 0.5
    s[L.STATE_TRACK_WIDTH] = 1.0 / 2.0
    s[L.STATE_PROGRESS] = 0.0  # where we are on this particular track: ignored, so it generalises
    s[L.STATE_LOOKAHEAD:] = 1.0 / 2.5
    return s


# --- the network: a flat parameter vector <-> weights -------------------------------------


SHAPES = [(L.STATE_SIZE, HIDDEN), (HIDDEN,), (HIDDEN, 2), (2,)]
N_PARAMS = sum(int(np.prod(s)) for s in SHAPES)


def unflatten(theta: np.ndarray) -> list[np.ndarray]:
    out, k = [], 0
    for shape in SHAPES:
        n = int(np.prod(shape))
        out.append(theta[k:k + n].reshape(shape).astype(np.float32))
        k += n
    return out


def init_params(rng: np.random.Generator) -> np.ndarray:
    w1 = rng.normal(0.0, 1.0 / np.sqrt(L.STATE_SIZE), (L.STATE_SIZE, HIDDEN))
    w2 = rng.normal(0.0, 0.1 / np.sqrt(HIDDEN), (HIDDEN, 2))
    return np.concatenate([w1.ravel(), np.zeros(HIDDEN), w2.ravel(), np.zeros(2)])


class NumpyPolicy:
    """The same computation as the exported ONNX graph, in float32 numpy."""

    def __init__(self, theta: np.ndarray):
        self.w1, self.b1, self.w2, self.b2 = unflatten(theta)
        self.scale = input_scale()

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        h = np.tanh((obs * self.scale) @ self.w1 + self.b1)
        return np.tanh(h @ self.w2 + self.b2)


def export_onnx(theta: np.ndarray) -> bytes:
    # Imported here: the rollout workers (spawned, so they import this file) never export
    # and need not load onnx.
    from onnx import TensorProto

    from simulator.onnx_build import GraphBuilder

    w1, b1, w2, b2 = unflatten(theta)
    b = GraphBuilder()
    x = b.node("Mul", "state", b.const(input_scale()[None, :]))
    x = b.node("Tanh", b.node("Gemm", x, b.const(w1), b.const(b1)))
    x = b.node("Tanh", b.node("Gemm", x, b.const(w2), b.const(b2)))
    model = b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], x, "action", [1, 2])
    return model.SerializeToString()


# --- rollouts (run in the worker processes) ------------------------------------------------


@dataclass(frozen=True)
class Setup:
    track: str
    horizon_s: float
    reward: str | None


_ENV: TimeTrialEnv | None = None
_SETUP: Setup | None = None


def _worker_init(setup: Setup) -> None:
    global _ENV, _SETUP
    _SETUP = setup
    # Many laps and a time cap at the horizon: every rollout lasts `horizon_s` of race
    # time, off-track penalties included.
    _ENV = TimeTrialEnv(track=setup.track, metadata=METADATA, reward_function=setup.reward,
                        rules=RaceRules(laps=100, time_cap_s=setup.horizon_s))


def rollout(theta: np.ndarray, start_s_m: float, env: TimeTrialEnv | None = None) -> float:
    """Fitness of one rollout: metres of track covered (or the summed reward)."""
    env = env or _ENV
    policy = NumpyPolicy(theta)
    obs, info = env.reset(options={"start_s_m": start_s_m})
    total = 0.0
    while True:
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        total += reward
        if terminated or truncated:
            break
    return total if env.reward_function is not None else info["distance_m"]


def evaluate(task: tuple[np.ndarray, tuple[float, ...]]) -> float:
    theta, starts = task
    return float(np.mean([rollout(theta, s) for s in starts]))


# --- the evolution strategy -----------------------------------------------------------------


@dataclass
class Config:
    generations: int
    pairs: int  # population = 2 * pairs
    sigma: float
    lr: float
    horizon_s: float
    starts: int  # start positions per rollout: the start line plus random ones
    race_every: int


FULL = Config(generations=120, pairs=16, sigma=0.08, lr=0.03, horizon_s=20.0, starts=2, race_every=10)
QUICK = Config(generations=12, pairs=8, sigma=0.1, lr=0.05, horizon_s=8.0, starts=1, race_every=6)


def centered_ranks(x: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(x))
    ranks[np.argsort(x, kind="stable")] = np.arange(len(x))
    return ranks / (len(x) - 1) - 0.5


class Adam:
    def __init__(self, n: int, lr: float, b1: float = 0.9, b2: float = 0.999):
        self.lr, self.b1, self.b2 = lr, b1, b2
        self.m = np.zeros(n)
        self.v = np.zeros(n)
        self.t = 0

    def step(self, grad: np.ndarray) -> np.ndarray:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad
        self.v = self.b2 * self.v + (1 - self.b2) * grad * grad
        m = self.m / (1 - self.b1 ** self.t)
        v = self.v / (1 - self.b2 ** self.t)
        return self.lr * m / (np.sqrt(v) + 1e-8)


def official_race(onnx_bytes: bytes, track: str):
    return run_time_trial(load_policy(onnx_bytes, METADATA), load_track(track))


def race_key(result) -> tuple:
    """Lower is better: finished by time, then DNF by laps and progress."""
    if result.status == "finished":
        return (0, result.total_time_s)
    return (1, -(result.laps_completed + result.progress))


def train(cfg: Config, track: str, seed: int, workers: int, reward: str | None = None,
          log=print) -> tuple[bytes, object, dict]:
    rng = np.random.default_rng(seed)
    theta = init_params(rng)
    opt = Adam(N_PARAMS, cfg.lr)
    setup = Setup(track, cfg.horizon_s, reward)
    _worker_init(setup)  # for the length of the track and in-process races
    length = _ENV.track.length_m
    best = None
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=_worker_init, initargs=(setup,)) as pool:
        for gen in range(1, cfg.generations + 1):
            # Common random start positions for the whole generation: the official start
            # line, plus random points so the policy learns the whole track.
            starts = (0.0,) + tuple(float(s) for s in rng.uniform(0.0, length, cfg.starts - 1))
            eps = rng.standard_normal((cfg.pairs, N_PARAMS))
            tasks = []
            for e in eps:
                tasks.append((theta + cfg.sigma * e, starts))
                tasks.append((theta - cfg.sigma * e, starts))
            fitness = np.array(pool.map(evaluate, tasks, chunksize=max(1, len(tasks) // (2 * workers))))
            ranks = centered_ranks(fitness)
            grad = ((ranks[0::2] - ranks[1::2])[:, None] * eps).sum(axis=0) / (2 * cfg.pairs * cfg.sigma)
            theta = theta + opt.step(grad - 0.005 * theta)
            log(f"gen {gen:3d}  fitness mean {fitness.mean():7.2f} max {fitness.max():7.2f}"
                f"  ({time.perf_counter() - t0:5.1f} s)")
            if gen % cfg.race_every == 0 or gen == cfg.generations:
                onnx_bytes = export_onnx(theta)
                result = official_race(onnx_bytes, track)
                log(f"          official trial: {result.status}, {result.laps_completed} laps"
                    f" + {result.progress:.0%}, {result.total_time_s:.3f} s,"
                    f" {result.off_track_count} off track")
                if best is None or race_key(result) < race_key(best[1]):
                    best = (onnx_bytes, result, gen)
    stats = {"generations": cfg.generations, "best_generation": best[2],
             "training_s": round(time.perf_counter() - t0, 1)}
    return best[0], best[1], stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a short run (CI): a model that loads and races")
    p.add_argument("--out", default="es-model", help="folder for model.onnx + model_metadata.json")
    p.add_argument("--track", default="oval-loop", help="track to train and race on")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="processes for the rollouts")
    p.add_argument("--generations", type=int, help="override the number of generations")
    p.add_argument("--reward", metavar="FILE.py",
                   help="use a DeepRacer reward_function(params) from this file as the fitness "
                        "(default: metres covered in the horizon)")
    args = p.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    if args.generations:
        cfg = Config(**{**cfg.__dict__, "generations": args.generations})
    onnx_bytes, result, stats = train(cfg, args.track, args.seed, args.workers,
                                      reward=str(Path(args.reward).resolve()) if args.reward else None)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.onnx").write_bytes(onnx_bytes)
    (out / "model_metadata.json").write_text(json.dumps(METADATA, indent=2) + "\n")
    print(f"wrote {out / 'model.onnx'} and {out / 'model_metadata.json'}")
    print(f"official trial on {args.track}: {result.status}, {result.laps_completed} laps,"
          f" total {result.total_time_s:.3f} s, lap times {result.lap_times_s},"
          f" off track {result.off_track_count}; best of generation {stats['best_generation']},"
          f" trained in {stats['training_s']} s")
    print(f"race it: python -m simulator race {out / 'model.onnx'} --track {args.track}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
