#!/usr/bin/env bash
# Validation benchmark: `batchmsg validate` against the Python baseline (the
# phonenumbers + nhs-number + csv script a team would write), on the same file,
# in the same run. Prints wall time, peak RSS and rows/s for each, the ratio,
# and batchmsg's peak RSS as the list grows (to show it stays flat).
#
#   bash bench/validate-vs-python.sh [ROWS]      (default 1000000)
#
# The baseline and its list generator live in the company's shared bench folder
# (BASELINE_DIR, default ../shared/bench). Needs python3 with venv and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=${1:-1000000}
baseline=${BASELINE_DIR:-../shared/bench}
data=bench-data
runs=${RUNS:-3}

for f in gen_patients.py py_validate.py; do
  [ -f "$baseline/$f" ] || { echo "missing $baseline/$f: set BASELINE_DIR to the shared bench folder" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 2; }

mkdir -p "$data"
venv=$data/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q phonenumbers==9.0.43 nhs-number==2.2.0
fi
cargo build --release -q -p batchmsg-cli
bin=target/release/batchmsg

list=$data/patients-$rows.csv
[ -f "$list" ] || python3 "$baseline/gen_patients.py" "$rows" "$list" 7

# best wall time and the RSS of that run, over $runs runs: "seconds kilobytes"
measure() {
  local best="" best_kb=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$data/time.txt" -f "%e %M" "$@" >/dev/null 2>&1
    read -r secs kb <"$data/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; best_kb=$kb; fi
  done
  echo "$best $best_kb"
}

echo "list: $list ($rows rows, $(du -h "$list" | cut -f1)); best of $runs runs; $(nproc) cores"
read -r rust_s rust_kb < <(measure "$bin" validate "$list" --out "$data/out-rust")
read -r py_s py_kb < <(measure "$venv/bin/python" "$baseline/py_validate.py" "$list" "$data/out-python")
report() {
  awk -v name="$1" -v s="$2" -v kb="$3" -v rows="$rows" \
    'BEGIN{printf "%-22s %8.2f s %8.1f MB %12.0f rows/s\n", name, s, kb/1024, rows/s}'
}
report "batchmsg validate" "$rust_s" "$rust_kb"
report "python baseline" "$py_s" "$py_kb"
awk -v r="$rust_s" -v p="$py_s" 'BEGIN{printf "batchmsg is %.0fx faster\n", p/r}'

echo "batchmsg peak RSS as the list grows:"
for n in 100000 1000000 2000000; do
  f=$data/patients-$n.csv
  [ -f "$f" ] || python3 "$baseline/gen_patients.py" "$n" "$f" 7
  read -r s kb < <(RUNS=1 measure "$bin" validate "$f" --out "$data/out-grow")
  awk -v n="$n" -v s="$s" -v kb="$kb" 'BEGIN{printf "  %8d rows  %6.2f s  %6.1f MB\n", n, s, kb/1024}'
done
