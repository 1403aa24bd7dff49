#!/usr/bin/env bash
# The one test command (README and .ci/run): install the test dependencies, then run every test.
# Debian packages: chromium (browser tests drive /usr/bin/chromium), dataset-fashion-mnist, fonts-wqy-microhei
# (Chinese glyphs for the browser and for pictures with words) and fortunes-zh (the poems the tang corpus is made from).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
DEBS="chromium dataset-fashion-mnist fonts-wqy-microhei fortunes-zh"
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/datasets/fashion-mnist ] || [ ! -d /usr/share/fonts/truetype/wqy ] \
   || [ ! -f /usr/share/games/fortunes/tang300 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # the package lists first: a machine image's stale lists offer an old chromium (150, where bookworm-security has
  # 156 with its fixes); without a network the lists on disk still serve
  $SUDO apt-get update -q || true
  $SUDO apt-get install -y -q $DEBS
fi
python -m pip install -q -r requirements-test.txt

# A test run leaves the checkout as it found it (screenshots go to a temp folder; scripts/screenshots.sh refreshes
# docs/screenshots). Compare git's view before and after, ignored files included but not Python's own caches, so
# only what the tests wrote counts — in a fresh clone or a work in progress alike.
tree_state() {
  git status --porcelain --ignored=matching 2>/dev/null | grep -v -e '__pycache__/$' -e '^!! \.pytest_cache/$' -e '^!! \.ruff_cache/$' || true
}
before=$(tree_state)
rc=0
# two workers (pytest-xdist), one test file each at a time: both cores are busy throughout (vmstat: ~0 % idle during
# the browser tests — chromium drawing the pages, the app training real models), so a third worker only adds
# contention (tried 2026-12-01: 9-16 min and two timing failures in four runs); GENAI_DEMO_TEST_WORKERS=0 runs it in
# one process
python -m pytest -q -n "${GENAI_DEMO_TEST_WORKERS:-2}" --dist loadfile "$@" || rc=$?
left=$(comm -13 <(printf '%s\n' "$before" | sort) <(tree_state | sort))
if [ -n "$left" ]; then
  printf 'FAILED: the test run left files in the checkout (git status):\n%s\n' "$left" >&2
  rc=1
fi
exit $rc
