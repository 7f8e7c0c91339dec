#!/usr/bin/env bash
# Release bootstraps of every Lambda function, as `cargo lambda build
# --profile lambda` makes them (release, stripped), and their sizes. Installs cargo-lambda and zig
# (its cross linker) from PyPI into target/lambda-venv the first time.
#
#   bash bench/lambda-sizes.sh            x86_64
#   bash bench/lambda-sizes.sh --arm64    Graviton
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/lambda-venv
if [ ! -x "$venv/bin/cargo-lambda" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check cargo-lambda ziglang
fi
export PATH="$PWD/$venv/bin:$PATH"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/lambda-build}
functions=(validate wave send delivery-status sweep)
args=()
for f in "${functions[@]}"; do args+=(--bin "$f"); done
cargo lambda build --profile lambda "$@" "${args[@]}"
printf '%-18s %12s %12s\n' function bootstrap zipped
for f in "${functions[@]}"; do
  bootstrap="$CARGO_TARGET_DIR/lambda/$f/bootstrap"
  zipped=$(python3 -c 'import io,sys,zipfile
b=io.BytesIO()
with zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[1],"bootstrap")
print(len(b.getvalue()))' "$bootstrap")
  printf '%-18s %12s %12s\n' "$f" "$(stat -c %s "$bootstrap")" "$zipped"
done
