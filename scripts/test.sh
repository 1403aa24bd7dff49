#!/usr/bin/env bash
# The one test command (README and .ci/run): install the test dependencies, then run every test.
# Debian packages: chromium (browser tests drive /usr/bin/chromium) and dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/datasets/fashion-mnist ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q chromium dataset-fashion-mnist \
    || { $SUDO apt-get update -q && $SUDO apt-get install -y -q chromium dataset-fashion-mnist; }
fi
python -m pip install -q -r requirements-test.txt
python -m pytest -q "$@"
