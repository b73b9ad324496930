"""Prints the best evaluation among those given (standard library only).

Usage: summarise.py EVAL_DIR...   (each holding the metrics.json of evaluate.py)
"""
import json
import os
import sys


def main():
    results = []
    for directory in sys.argv[1:]:
        with open(os.path.join(directory, "metrics.json")) as handle:
            results.append((json.load(handle)["accuracy"], directory))
    results.sort(reverse=True)
    for accuracy, directory in results:
        print(f"{accuracy:.3f}  {directory}")


if __name__ == "__main__":
    main()
