#!/usr/bin/env bash
# Release bootstraps of every Lambda function, as `cargo lambda build
# --profile lambda` makes them, for both architectures, and a table of
# function × arch: the bootstrap's bytes unzipped and zipped (deflate, as a
# Lambda upload) and the newest GLIBC symbol version it needs
# (provided.al2023 has glibc 2.34). MB here is 10^6 bytes.
#
# Each function is built by its own `cargo lambda build -p` (as `sam build`
# does), so cargo's feature unification cannot hand one function another's
# SDK clients: each links only the batchmsg-aws features its Cargo.toml asks
# for. Each architecture has its own --lambda-dir, so neither overwrites the
# other: $CARGO_TARGET_DIR/lambda-<arch>/<function>/bootstrap.
#
# Installs cargo-lambda and zig (its cross linker) from PyPI into
# target/lambda-venv the first time; the arm64 build needs
# `rustup target add aarch64-unknown-linux-gnu`.
#
#   bash bench/lambda-sizes.sh                 build both, print the table
#   bash bench/lambda-sizes.sh --no-build      the table of what is built
#   ARCHS=x86_64 bash bench/lambda-sizes.sh    one architecture
#   FUNCTIONS="wave send" bash bench/lambda-sizes.sh
#
# A cold build takes 10+ minutes per architecture on two cores; set
# CARGO_TARGET_DIR to a folder that outlives the work tree to keep it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
if [ "${1:-}" = "--no-build" ]; then build=0; fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/lambda-build}
read -r -a functions <<<"${FUNCTIONS:-validate wave send delivery-status sweep}"
read -r -a archs <<<"${ARCHS:-x86_64 arm64}"

if [ "$build" = 1 ]; then
  venv=target/lambda-venv
  if [ ! -x "$venv/bin/cargo-lambda" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check cargo-lambda ziglang
  fi
  export PATH="$PWD/$venv/bin:$PATH"
  for arch in "${archs[@]}"; do
    flag=()
    if [ "$arch" = arm64 ]; then flag=(--arm64); else flag=(--x86-64); fi
    for f in "${functions[@]}"; do
      start=$(date +%s)
      # -p as well as --bin: with --bin alone cargo selects every workspace
      # member and unifies their features (the tests turn on all five).
      cargo lambda build --profile lambda "${flag[@]}" -p "batchmsg-$f" --bin "$f" \
        --lambda-dir "$CARGO_TARGET_DIR/lambda-$arch" >&2
      echo "built $f for $arch in $(($(date +%s) - start)) s" >&2
    done
  done
fi

zipped() {
  python3 -c 'import io,sys,zipfile
b=io.BytesIO()
with zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[1],"bootstrap")
print(len(b.getvalue()))' "$1"
}

# The newest GLIBC_x.y among the versioned symbols the bootstrap imports
# (readelf reads either architecture's ELF; objdump here reads only x86).
newest_glibc() {
  readelf -W --dyn-syms "$1" | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -1
}

printf '%-16s %-7s %12s %8s %12s %8s  %s\n' \
  function arch bootstrap MB zipped MB glibc
for f in "${functions[@]}"; do
  for arch in "${archs[@]}"; do
    bootstrap="$CARGO_TARGET_DIR/lambda-$arch/$f/bootstrap"
    if [ ! -f "$bootstrap" ]; then
      printf '%-16s %-7s %s\n' "$f" "$arch" "not built ($bootstrap)"
      continue
    fi
    bytes=$(stat -c %s "$bootstrap")
    zip=$(zipped "$bootstrap")
    printf '%-16s %-7s %12s %8.1f %12s %8.1f  %s\n' "$f" "$arch" \
      "$bytes" "$(awk "BEGIN{print $bytes / 1e6}")" \
      "$zip" "$(awk "BEGIN{print $zip / 1e6}")" "$(newest_glibc "$bootstrap")"
  done
done
