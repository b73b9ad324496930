"""Trains a tiny logistic-regression classifier with SGD on synthetic data (standard library only).

Usage: train.py --learning-rate LR --seed SEED --steps N --output DIR
Writes DIR/weights.json, DIR/metrics.jsonl (loss per step) and DIR/metrics.json (final loss).
"""
import argparse
import json
import math
import os
import random


def synthetic(seed, count=400):
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        x1, x2 = rng.gauss(0, 1), rng.gauss(0, 1)
        label = 1 if 1.5 * x1 - 0.8 * x2 + 0.3 + rng.gauss(0, 0.5) > 0 else 0
        points.append((x1, x2, label))
    return points


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)
    data = synthetic(seed=0)
    rng = random.Random(args.seed)
    w1, w2, b = rng.gauss(0, 0.1), rng.gauss(0, 0.1), 0.0
    loss = float("nan")
    with open(os.path.join(args.output, "metrics.jsonl"), "w") as series:
        for step in range(1, args.steps + 1):
            x1, x2, y = rng.choice(data)
            p = 1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))
            w1 -= args.learning_rate * (p - y) * x1
            w2 -= args.learning_rate * (p - y) * x2
            b -= args.learning_rate * (p - y)
            if step % 20 == 0:
                loss = sum(
                    -math.log(max(1e-12, q if y else 1 - q))
                    for x1, x2, y in data
                    for q in [1 / (1 + math.exp(-(w1 * x1 + w2 * x2 + b)))]
                ) / len(data)
                series.write(json.dumps({"step": step, "train_loss": loss}) + "\n")
    with open(os.path.join(args.output, "weights.json"), "w") as handle:
        json.dump({"w1": w1, "w2": w2, "b": b}, handle)
    with open(os.path.join(args.output, "metrics.json"), "w") as handle:
        json.dump({"train_loss": loss}, handle)


if __name__ == "__main__":
    main()
