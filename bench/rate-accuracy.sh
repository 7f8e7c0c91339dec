#!/usr/bin/env bash
# Rate accuracy on the embedded default, measured from the outbox's sent_at.
#
#   bash bench/rate-accuracy.sh [RATE] [ROWS]      (defaults 50 and 1100)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-50}
rows=${2:-1100}
cargo build --release --locked -q -p batchmsg-cli
mkdir -p bench-data
list=bench-data/patients-$rows.csv
[ -f "$list" ] || target/release/batchmsg generate "$rows" --seed 3 --out "$list"
data=bench-data/rate-$rate
rm -rf "$data"
target/release/batchmsg send "$list" --message "Dear ((name|patient)), you are due your flu vaccination." \
  --rate "$rate" --yes --data-dir "$data" | grep -E "^Batch .*rows|^Total"
python3 bench/outbox-stats.py "$data/outbox.jsonl" --rate "$rate"
