#!/usr/bin/env bash
# Nahraum: set-up, app and tests in one place. Idempotent; safe to run again.
#   ./nahraum.sh app   [nahraum app options]   set up, build the default region, start the app
#   ./nahraum.sh test  [pytest options]        set up (incl. Chromium), lint, format check, types, tests
#   ./nahraum.sh setup                         only set up .venv and the offline map assets
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
VENV="$ROOT/.venv"

log() { printf '[nahraum] %s\n' "$*" >&2; }

find_python() {
  for py in python3.11 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
      echo "$py"; return 0
    fi
  done
  log "Python 3.11 oder neuer wird benötigt (python3.11 nicht gefunden)."; exit 1
}

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "Lege virtuelle Umgebung .venv an"
    "$(find_python)" -m venv "$VENV"
  fi
  local stamp="$VENV/.nahraum-installed" want
  want="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "Installiere Abhängigkeiten aus requirements.lock"
    "$VENV/bin/python" -m pip install --quiet -r requirements.lock
    "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
    echo "$want" > "$stamp"
  fi
}

setup_assets() {
  bash scripts/fetch_assets.sh
}

setup_browser() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  log "Installiere Chromium für die Browser-Tests (Debian-Paket)"
  local sudo=""
  if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium >/dev/null
}

cmd="${1:-app}"
shift || true
case "$cmd" in
  setup)
    setup_python; setup_assets ;;
  app)
    setup_python; setup_assets
    "$VENV/bin/nahraum" region build --region "${NAHRAUM_REGION:-default}"
    exec "$VENV/bin/nahraum" app "$@" ;;
  test)
    setup_python; setup_assets; setup_browser
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"  # geo/ and present/ (pyproject.toml [tool.mypy])
    exec "$VENV/bin/python" -m pytest "$@" ;;
  *)
    echo "Aufruf: ./nahraum.sh app|test|setup [Optionen]" >&2; exit 64 ;;
esac
