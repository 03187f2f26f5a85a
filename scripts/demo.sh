#!/usr/bin/env bash
# Set up (if needed), ingest the bundled sample corpus and export it.
# Writes the store and the dataset under out/demo/ (safe to run twice:
# files already in the store are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=${OUT:-out/demo}
mkdir -p "$OUT"
export SELFEVAL_DB="$OUT/selfeval.db"
.venv/bin/selfeval ingest corpus/sample
for format in jsonl xlsx; do
    .venv/bin/selfeval export --format "$format" --out "$OUT/forms.$format"
done
for format in csv parquet; do
    .venv/bin/selfeval export --format "$format" --out "$OUT/$format"
done
.venv/bin/selfeval review status >&2
echo "demo: the dataset is in $OUT (forms.jsonl, forms.xlsx, csv/, parquet/)" >&2
echo "demo: to review the pending fields: .venv/bin/selfeval --db $SELFEVAL_DB review server, then review push (README, Review)" >&2
