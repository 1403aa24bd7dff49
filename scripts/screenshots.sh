#!/usr/bin/env bash
# Refresh the README's screenshots (docs/screenshots/*.png): the browser tests take them, and write them into
# the checkout only when GENAI_DEMO_SCREENSHOTS names a folder (a plain test run keeps them in pytest's temp folder).
set -euo pipefail
cd "$(dirname "$0")/.."
GENAI_DEMO_SCREENSHOTS=docs/screenshots exec python -m pytest -q -p no:cacheprovider tests/browser "$@"
