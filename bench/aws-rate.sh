#!/usr/bin/env bash
# The send function's rate limit with 1, 2 and 4 instances busy, against
# moto (started here): see tests/pipeline/src/bin/rate-share.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/moto.sh
cargo run --release --locked -p batchmsg-pipeline-tests --bin rate-share
