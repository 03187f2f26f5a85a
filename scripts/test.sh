#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The review UI test drives Debian's Chromium; the Label Studio server the
# review tests need is installed by the tests themselves (tests/labelstudio_fixture.py).
if ! command -v chromium >/dev/null 2>&1; then
    echo "test: installing chromium with apt-get (for the review UI test)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
exec .venv/bin/python -m pytest -q "$@"
