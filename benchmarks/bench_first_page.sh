#!/usr/bin/env bash
# A fresh clone of this checkout's HEAD to its first page: `make run` in a new clone (no .venv,
# no database: SQLite), timed until / answers 200, twice in one run: with uv as `make install`
# picks it (USE_UV=1), and with pip alone (USE_UV=0), the baseline. Package caches off. Figures
# only; nothing is asserted. Needs the package registry.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_NO_CACHE_DIR=1 UV_NO_CACHE=1 ENV_FILE=
unset DATABASE_URL

first_page() {  # first_page USE_UV
  local clone="$work/clone-$1" port=$((20000 + RANDOM % 30000)) start pid code
  git clone --quiet "$here" "$clone"
  start=$(date +%s.%N)
  (cd "$clone" && exec setsid make run USE_UV="$1" PORT="$port" >"$work/run-$1.log" 2>&1) &
  pid=$!
  until code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/") && [ "$code" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/run-$1.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "$(date +%s.%N) - $start" | bc
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

uv_s=$(first_page 1)
pip_s=$(first_page 0)
echo "fresh clone to its first page (make run, SQLite, caches off):"
echo "  pip alone (USE_UV=0, baseline)  ${pip_s} s"
echo "  uv (USE_UV=1, the default)      ${uv_s} s"
