"""Evaluates a classifier from train.py on held-out synthetic data (standard library only).

Usage: evaluate.py --weights DIR --output DIR
Writes DIR/metrics.json with the accuracy.
"""
import argparse
import json
import os

from train import synthetic


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    with open(os.path.join(args.weights, "weights.json")) as handle:
        w = json.load(handle)
    data = synthetic(seed=1)
    correct = sum(1 for x1, x2, y in data if (w["w1"] * x1 + w["w2"] * x2 + w["b"] > 0) == bool(y))
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, "metrics.json"), "w") as handle:
        json.dump({"accuracy": correct / len(data)}, handle)


if __name__ == "__main__":
    main()
