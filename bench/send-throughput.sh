#!/usr/bin/env bash
# Unthrottled send on the embedded default: ROWS patients from
# `batchmsg generate` to the outbox, end to end (validation, import into
# SQLite, waves, queue, claims, outbox, statuses).
#
#   bash bench/send-throughput.sh [ROWS]        (default 100000)
#   BATCHMSG_BIN=path/to/batchmsg bash bench/send-throughput.sh [ROWS]
#                                               (another build, to compare)
#
# Prints the wall time of the whole command (it also waits ~2.4 s for the
# simulated receipts), and texts/s from the command's start to the last
# text's sent_at, and over the sending stage alone.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
bin=${BATCHMSG_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked -q -p batchmsg-cli
  bin=target/release/batchmsg
fi
mkdir -p bench-data
list=bench-data/patients-$rows.csv
[ -f "$list" ] || "$bin" generate "$rows" --seed 42 --out "$list"
data=bench-data/send-$rows
rm -rf "$data"
start_ms=$(date +%s%3N)
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$bin" send "$list" \
  --message "Dear ((name|patient)), you are due your flu vaccination. Book at your GP practice or call 0113 496 0000." \
  --yes --data-dir "$data" | grep -E "^Batch .*rows|^Total"
python3 - "$data/outbox.jsonl" "$start_ms" <<'PY'
import json, sys
from datetime import datetime
start = int(sys.argv[2])
last = 0
count = 0
with open(sys.argv[1]) as lines:
    for line in lines:
        t = json.loads(line)["sent_at"]
        last = max(last, int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000))
        count += 1
seconds = (last - start) / 1000
print(f"end to end: {count} texts in {seconds:.2f} s from start to the last sent_at = {count / seconds:,.0f} texts/s")
PY
python3 bench/outbox-stats.py "$data/outbox.jsonl" | sed -n '2,3p' | sed 's/^/sending stage: /'
