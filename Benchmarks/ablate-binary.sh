# Sourced by the benchmarks, from the repository root: sets `ablate` to $ABLATE when given (to
# measure another build), else to a release build of this checkout, built first.
if [ -z "${ABLATE:-}" ]; then
  swift build -c release --product ablate >/dev/null
  ablate=$(swift build -c release --show-bin-path)/ablate
else
  ablate=$ABLATE
fi
