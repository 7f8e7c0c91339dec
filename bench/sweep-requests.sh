#!/usr/bin/env bash
# One sweep's AWS requests with one open batch, as the table fills with
# finished batches (every tenth cancelled part way): with none, with
# 1,000 batches of 20 recipients, and with 100 of 1,000. moto's DynamoDB
# slows as the table grows: the last takes about ten minutes to fill.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/moto.sh
for size in "1000 20" "100 1000"; do
  set -- $size
  BATCHMSG_SWEEP_FINISHED=$1 BATCHMSG_SWEEP_RECIPIENTS=$2 \
    cargo test --locked -p batchmsg-aws --test sweep_reads -- --nocapture 2>&1 |
    grep -E "^one sweep|panicked|test result"
done
