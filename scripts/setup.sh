#!/usr/bin/env bash
# Install everything selfeval needs on a Debian machine where we are root.
# Safe to run twice: each step checks first and does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(fonts-wqy-zenhei fonts-arphic-uming fonts-droid-fallback fonts-dejavu-core tesseract-ocr tesseract-ocr-chi-sim poppler-utils)
missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating the virtual environment .venv" >&2
    "$PYTHON" -m venv .venv
fi
# Reinstall only when the project's requirements changed since last time.
stamp=.venv/.selfeval-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing selfeval and its Python dependencies into .venv" >&2
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e '.[test,cluster]'
    touch "$stamp"
fi
