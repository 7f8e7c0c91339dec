#!/usr/bin/env bash
# Many more chaos runs than `bash scripts/test` makes: each seed is one batch
# taken through the sending use cases under random kills, duplicate and late
# jobs and wave fires, throttling, lost answers and cancels, then checked
# (shared/core/src/test_support/chaos). On the in-memory fake, on SQLite, and
# on DynamoDB on moto. A failure names its seed; replay it with
#   BATCHMSG_CHAOS_SEED=N BATCHMSG_CHAOS_TRACE=1 cargo test -p batchmsg-local --test chaos
# Usage: bench/chaos.sh [RUNS (default 10000)] [FIRST SEED (default 1)]
set -euo pipefail
cd "$(dirname "$0")/.."
export BATCHMSG_CHAOS_RUNS="${1:-10000}" BATCHMSG_CHAOS_FIRST="${2:-1}"
moto_runs=$(( BATCHMSG_CHAOS_RUNS / 20 > 0 ? BATCHMSG_CHAOS_RUNS / 20 : 1 ))
echo "seeds $BATCHMSG_CHAOS_FIRST.. : $BATCHMSG_CHAOS_RUNS on the fake and SQLite, $moto_runs on moto"
cargo test --locked --release -p batchmsg-core --lib chaos 2>&1 | grep -E "broke|^test |test result"
cargo test --locked --release -p batchmsg-local --test chaos 2>&1 | grep -E "broke|^test |test result"
source scripts/moto.sh
BATCHMSG_CHAOS_RUNS=$moto_runs \
  cargo test --locked --release -p batchmsg-aws --test chaos 2>&1 | grep -E "broke|^test |test result"
