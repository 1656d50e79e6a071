"""The mean of several weights files of one configuration (a weight average, or "model soup", of runs from one
start), written as a new weights file any command takes as --model:

    .venv/bin/python scripts/average_weights.py A.safetensors B.safetensors -o mean.safetensors

Inputs are any name or file `--model` takes (`scn_denoise_rgb.sigma`, a run's final.safetensors); they must share
the configuration. Integer buffers are taken from the first.
"""

from __future__ import annotations

import argparse
import sys

import torch

import scn


def average(names: list[str]) -> scn.RestorationNet:
    models = [scn.resolve(name).load().float() for name in names]
    first = models[0]
    for name, model in zip(names[1:], models[1:]):
        if model.config != first.config:
            raise scn.ConfigError(f"{name} is not the configuration of {names[0]}; only the same network averages")
    states = [m.state_dict() for m in models]
    mean = {k: (torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v)
            for k, v in states[0].items()}
    first.load_state_dict(mean)
    return first


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("weights", nargs="+", help="two or more names or weights files")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    if len(args.weights) < 2:
        ap.error("give two or more weights to average")
    try:
        model = average(args.weights)
    except scn.ScnError as e:
        print(f"average_weights: error: {e}", file=sys.stderr)
        return 2
    notes = "mean of " + ", ".join(args.weights)
    print(scn.save_model(model, args.out, notes=notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
