#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the test suite needs (`npm run test:all` runs this, then
# `npm ci` and `npm test`; so does CI through .ci/run). Packages already installed are left alone;
# apt-get runs through sudo when not root. Why each package:
#   chromium              the end-to-end tests (tests/e2e) drive the real UI in it, over `dlnet serve`
#   python3-torch         the training code's tests (tests/integration/training.test.ts) run PyTorch
#   python3-numpy         ... and NumPy,
#   python3-pil           ... and Pillow (image files),
#   libopenblas0-pthread  ... and Debian's torch needs an optimised BLAS: without it, it falls back to
#                         the slow reference BLAS
set -euo pipefail

packages=(chromium python3-torch python3-numpy python3-pil libopenblas0-pthread)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: this script needs Debian or Ubuntu (apt-get); install these by hand: ${packages[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-test-deps: already installed: ${packages[*]}"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-test-deps: ${missing[*]} must be installed, and that needs root; run as root or install sudo." >&2
    exit 1
  fi
  sudo_cmd=(sudo)
fi
echo "install-test-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
