#!/usr/bin/env bash
# Builds ablate to install: a release build with the Swift runtime and Foundation linked into
# the executable (`--static-swift-stdlib`), so that it runs where no Swift toolchain is
# installed (a cluster's login node), and starts in about two thirds of the time: loading and
# relocating the Swift libraries was most of a short command's start. What stays shared are the
# system's C libraries (SQLite, libcurl, the C and C++ runtimes).
# Prints the directory that holds `ablate` and `ablate-supervisor`: install the two side by side.
# Needs libcurl's development files (Debian: libcurl4-openssl-dev): Foundation's networking,
# linked in, calls libcurl, and SwiftPM does not name it to the linker.
#
# Usage: Scripts/build-release.sh   (the build goes to .build-static, beside the usual .build)
set -euo pipefail
cd "$(dirname "$0")/.."
for library in libcurl.so libcurl.a; do
  if [ "$(cc -print-file-name="$library")" = "$library" ]; then
    echo "build-release: $library not found: install libcurl's development files (Debian: apt-get install libcurl4-openssl-dev)" >&2
    exit 1
  fi
done
build=(swift build -c release --static-swift-stdlib --product ablate --scratch-path .build-static -Xlinker -lcurl)
"${build[@]}" >&2
"${build[@]}" --show-bin-path
