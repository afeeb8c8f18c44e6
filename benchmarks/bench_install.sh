#!/usr/bin/env bash
# A fresh install of the lock file (requirements-dev.lock unless given), three ways in one run,
# each into a new virtualenv with every package cache off, as on a new machine:
#   pip      what `make install` does without uv: upgrade pip, then pip installs the lock
#   uv       `make install` with uv on PATH: uv installs the same lock
#   pip+uv   no uv on PATH: pip installs uv (pinned in the Makefile), which installs the lock
# Figures only (seconds, wall clock); nothing is asserted. Needs the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=${1:-requirements-dev.lock}
PYTHON=${PYTHON:-python3}
UV_PIN=${UV_PIN:-$(sed -n 's/^UV_VERSION ?= *//p' Makefile)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_NO_CACHE_DIR=1 UV_NO_CACHE=1
TIMEFORMAT=%R

seconds() { { time "$@" >/dev/null 2>&1; } 2>&1; }

# uv itself, for the second way (outside the timed part: there it is already on PATH).
$PYTHON -m venv "$work/tool"
"$work/tool/bin/python" -m pip install --quiet "uv==$UV_PIN"
UV="$work/tool/bin/uv"

$PYTHON -m venv "$work/a"
pip_s=$(seconds bash -c "'$work/a/bin/python' -m pip install --quiet --upgrade pip &&
  '$work/a/bin/python' -m pip install --quiet --requirement '$LOCK'")
$PYTHON -m venv "$work/b"
uv_s=$(seconds "$UV" pip install --quiet --python "$work/b/bin/python" --requirement "$LOCK")
$PYTHON -m venv "$work/c"
both_s=$(seconds bash -c "'$work/c/bin/python' -m pip install --quiet 'uv==$UV_PIN' &&
  '$work/c/bin/uv' pip install --quiet --python '$work/c/bin/python' --requirement '$LOCK'")
packages=$("$work/b/bin/python" -m pip list 2>/dev/null | tail -n +3 | wc -l)
echo "fresh install of $LOCK ($packages packages), caches off, uv $UV_PIN:"
echo "  pip (baseline)   ${pip_s} s"
echo "  uv               ${uv_s} s"
echo "  pip, then uv     ${both_s} s"
