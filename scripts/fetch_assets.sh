#!/usr/bin/env bash
# Offline map libraries for Nahraum: copy Leaflet, jQuery and the Font Awesome symbols
# from the installed XStatic packages into layers/static/vendor/ (ignored by git).
#
# Idempotent and offline: only reads the Python environment, never the network.
# Bootstrap and Leaflet.awesome-markers are not needed (service symbols are inline SVG),
# so there is no npm step. The app also runs this copy itself on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
if [ ! -x "$PY" ]; then
    PY="$(command -v python3)"
fi
exec "$PY" -m layers._assets
