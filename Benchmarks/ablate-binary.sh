# Sourced by the benchmarks, from the repository root: sets `ablate` to $ABLATE when given (to
# measure another build), else to the build users install (Scripts/build-release.sh), built first.
if [ -z "${ABLATE:-}" ]; then
  ablate=$(Scripts/build-release.sh)/ablate
else
  ablate=$ABLATE
fi
