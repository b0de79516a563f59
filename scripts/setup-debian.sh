#!/usr/bin/env bash
# Installs what building and testing spotcheck needs on a fresh Debian/Ubuntu machine:
# a C toolchain, pkg-config, the ALSA headers (audio playback), Python 3 with pip (for the reference
# tests and benchmarks), FUSE (fuse3 for fusermount, libfuse2 for fusepy: the power-cut test's file
# system), zenity (the Open… dialogs use it where no xdg-desktop-portal runs; without either, the app
# offers its "Open a path…" field instead), and Rust 1.95.0 through rustup. Safe to run again.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
  build-essential pkg-config libasound2-dev curl ca-certificates python3 python3-pip git fuse3 zenity >/dev/null
# libfuse2 is libfuse2t64 from Debian 13 / Ubuntu 24.04 on.
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends libfuse2 >/dev/null 2>&1 \
  || $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends libfuse2t64 >/dev/null
# --headless: what running the app without a display needs (screenshots, scripts/bench-gui.sh).
if [ "${1:-}" = "--headless" ]; then
  $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
    xvfb xauth x11-utils x11-apps imagemagick xdotool libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 >/dev/null
fi
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v rustup >/dev/null 2>&1; then
  if command -v cargo >/dev/null 2>&1; then
    echo "cargo without rustup: rust-toolchain.toml (Rust 1.95.0) is not enforced; $(cargo --version)"
  else
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
  fi
fi
# rust-toolchain.toml pins 1.95.0. When the machine's stable toolchain already is 1.95.0 (with clippy
# and rustfmt), link it under that name instead of downloading it again; otherwise rustup installs it.
if command -v rustup >/dev/null 2>&1 && ! rustup toolchain list | grep -q '^1\.95\.0'; then
  stable_dir="$(rustup run stable rustc --print sysroot 2>/dev/null || true)"
  if [ -n "$stable_dir" ] && "$stable_dir/bin/rustc" --version | grep -q '^rustc 1\.95\.0 '; then
    rustup toolchain link 1.95.0 "$stable_dir"
  else
    rustup toolchain install 1.95.0 --profile minimal --component clippy,rustfmt
  fi
fi
echo "setup done: build with \`cargo\` (or \$HOME/.cargo/bin/cargo in this shell if rustup was just installed)"
