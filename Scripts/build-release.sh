#!/usr/bin/env bash
# Builds ablate to install: a release build with the Swift runtime and Foundation linked into
# the executable (`--static-swift-stdlib`), so that it runs where no Swift toolchain is
# installed (a cluster's login node), and starts in about two thirds of the time: loading and
# relocating the Swift libraries was most of a short command's start. What stays shared are the
# system's C libraries (SQLite, the C and C++ runtimes); libcurl, for the hub's API, is loaded
# only by a command that asks the hub.
# Prints the directory that holds `ablate` and `ablate-supervisor`: install the two side by side.
#
# Usage: Scripts/build-release.sh   (the build goes to .build-static, beside the usual .build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=(swift build -c release --static-swift-stdlib --product ablate --scratch-path .build-static)
"${build[@]}" >&2
"${build[@]}" --show-bin-path
