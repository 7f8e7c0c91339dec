#!/usr/bin/env bash
# The import and the release at scale, as Lambda would run them at ~10 ms a
# request: moto (scripts/moto.sh) behind bench/latency_proxy.py, which adds
# BATCHMSG_SCALE_DELAY_MS (10) to every request and times moto's own part
# apart; BATCHMSG_SCALE_ROWS (100,000) rows validated and imported through
# the validate handler, then one wave of every accepted recipient released
# through the wave handler (release build, tests/pipeline/src/bin/aws-scale.rs).
# Prints each phase's wall and CPU time, peak RSS and requests by operation,
# then the arithmetic: 1,000,000 rows and a wave of 200,000 at 10 ms a
# request, from the request counts and the CPU time measured.
#
#   bash bench/aws-scale.sh
#   MOTO_VENV=/path/to/moto-venv bash bench/aws-scale.sh   # an installed moto
#   BATCHMSG_SCALE_ROWS=1000000 BATCHMSG_SCALE_WAVE=0 bash bench/aws-scale.sh
#       the import alone (moto's Query reads the whole table for each page:
#       a release from a table of a million takes it hours)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BATCHMSG_SCALE_ROWS:-100000}
delay=${BATCHMSG_SCALE_DELAY_MS:-10}
cargo build --release --locked -p batchmsg-pipeline-tests --bin aws-scale
bin=${CARGO_TARGET_DIR:-target}/release/aws-scale

source scripts/moto.sh
moto=$BATCHMSG_TEST_MOTO
mkdir -p target
port_file=$(mktemp)
rm -f "$port_file"
python3 bench/latency_proxy.py --upstream "$moto" --delay-ms "$delay" --port-file "$port_file" &
proxy_pid=$!
trap 'kill "$proxy_pid" 2>/dev/null; kill "$moto_pid" 2>/dev/null; rm -f "$port_file"' EXIT
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
proxy="http://127.0.0.1:$(cat "$port_file")"
echo "--- proxy on $proxy (+${delay} ms a request) in front of moto on $moto" >&2

out=target/aws-scale-$rows.txt
BATCHMSG_TEST_MOTO=$proxy BATCHMSG_SCALE_PROXY_STATS=$proxy/proxy-stats BATCHMSG_SCALE_MOTO=$moto \
  BATCHMSG_SCALE_ROWS=$rows /usr/bin/time -v "$bin" 2> "target/aws-scale-$rows.time" | tee "$out"
grep -E "Maximum resident|Elapsed|User time|System time" "target/aws-scale-$rows.time"

python3 - "$out" "$delay" <<'PY'
import json, sys
line = next(l for l in open(sys.argv[1]) if l.startswith("JSON "))
run = json.loads(line[5:])
delay = float(sys.argv[2]) / 1000
CONCURRENCY = 16  # IMPORT_CONCURRENCY and ENQUEUE_CONCURRENCY
# Requests sent CONCURRENCY at a time; the rest go one after another.
CONCURRENT = {"DynamoDB BatchWriteItem", "DynamoDB BatchGetItem", "SQS SendMessageBatch"}
# Requests that do not grow with the list or the wave (the claim, the batch
# and wave moves, the list's readings, the report, the opted-out list).
CONSTANT = {"DynamoDB UpdateItem", "S3 GetObject", "S3 PutObject",
            "SNS ListPhoneNumbersOptedOut", "Scheduler CreateSchedule"}

def at_delay(phase, scale):
    """Requests (sequential, concurrent) at `scale` times the size, and
    the time they take at the delay: sequential ones one after another,
    concurrent ones CONCURRENCY at a time; and the CPU time, scaled."""
    seq = conc = 0.0
    for op, n in phase["client_requests"].items():
        n = n if op in CONSTANT else n * scale
        if op in CONCURRENT:
            conc += n
        else:
            seq += n
    return seq, conc, seq * delay + conc * delay / CONCURRENCY, phase["cpu_s"] * scale

rows, accepted = run["rows"], run["accepted"]
validate, wave = (run["phases"] + [None])[:2]
print()
print(f"rows {rows}, accepted {accepted}, list {run['list_mb']:.1f} MB; {delay*1000:.0f} ms a request, "
      f"{CONCURRENCY} at once where concurrent")
for name, phase, scale, target in [
    ("validate+import", validate, 1.0, None),
    ("validate+import of 1,000,000 rows", validate, 1_000_000 / rows, 180),
    ("release", wave, 1.0, None),
    ("release of a wave of 200,000", wave, 200_000 / accepted, 60),
]:
    if phase is None:
        continue
    seq, conc, t_req, cpu = at_delay(phase, scale)
    total = t_req + cpu
    goal = f" (goal {target} s: {'met' if total <= target else 'MISSED'})" if target else ""
    print(f"{name}: {seq:,.0f} sequential + {conc:,.0f} concurrent requests "
          f"-> {t_req:.1f} s of requests + {cpu:.1f} s CPU = {total:.1f} s{goal}")
    if scale == 1.0:
        print(f"   measured here: wall {phase['wall_s']:.1f} s, moto busy "
              f"{phase['proxy']['moto_busy_s']:.1f} s of it; "
              f"peak RSS {phase['peak_rss_mb']:.0f} MB ({phase['rss_before_mb']:.0f} MB before)")
print(f"CPU per 100,000 rows validated+imported: {validate['cpu_s'] * 100_000 / rows:.2f} s")
if wave:
    print(f"CPU per 100,000 recipients released: {wave['cpu_s'] * 100_000 / accepted:.2f} s")
PY
