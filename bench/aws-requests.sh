#!/usr/bin/env bash
# The 10,000-row pipeline run on moto with its AWS requests counted, by
# service and operation (the same test `bash scripts/test` runs; the table is
# also written to target/pipeline-requests.txt). BATCHMSG_PIPELINE_ROWS sets
# another size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/moto.sh
cargo test --release --locked -p batchmsg-pipeline-tests --test end_to_end -- --nocapture
