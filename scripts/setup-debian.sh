#!/usr/bin/env bash
# Installs what building and testing spotcheck needs on a fresh Debian/Ubuntu machine:
# a C toolchain, pkg-config, the ALSA headers (audio playback), Python 3 with pip (for the reference tests and benchmarks), and Rust
# (through rustup, only if cargo is missing). Safe to run again.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
  build-essential pkg-config libasound2-dev curl ca-certificates python3 python3-pip git >/dev/null
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
fi
echo "setup done: build with \`cargo\` (or \$HOME/.cargo/bin/cargo in this shell if rustup was just installed)"
