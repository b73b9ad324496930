#!/usr/bin/env python3
"""Validates JSON documents against a JSON Schema (draft 2020-12) with the jsonschema package.

Usage: validate-json-schema.py SCHEMA.json DOCUMENT.json...
Prints one line per document ("valid: PATH" or "invalid: PATH: reason") and exits 1 if the
schema itself is malformed or any document is invalid.
"""
import json
import sys

from jsonschema import Draft202012Validator


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as handle:
        schema = json.load(handle)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    failed = False
    for path in argv[2:]:
        with open(path) as handle:
            document = json.load(handle)
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
        if errors:
            failed = True
            first = errors[0]
            location = "/".join(str(part) for part in first.absolute_path)
            print(f"invalid: {path}: at /{location}: {first.message[:300]}")
        else:
            print(f"valid: {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
