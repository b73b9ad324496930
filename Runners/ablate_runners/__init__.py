"""ablate's stage runners: `python -m ablate_runners.<kind>` for the stage kinds no standard tool covers.

Every runner reads local paths, writes `metrics.json` (final scalars) and, where it measures
items one by one, `items.jsonl` (one object per item), and exits non-zero with a one-line cause
on bad input.
"""
