#!/usr/bin/env bash
# `sam build` of infra/template.yaml for arm64, as CI runs it, then checks of
# what it made: every .aws-sam/build/*/bootstrap is an arm64 ELF needing at
# most provided.al2023's glibc (2.34), and the AWS SDK was compiled once for
# the five functions, not once each. Prints each bootstrap's size.
#
#   bash infra/build.sh                 build, then check
#   bash infra/build.sh --checks-only   check what the last build left in .aws-sam/build
#
# Tools: aws-sam-cli, cargo-lambda and zig (its cross linker) from PyPI
# (infra/venv.sh); the Rust target aarch64-unknown-linux-gnu from rustup.
# Cold, this is a release build of the SDK: about 12 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
# cargo-lambda finds zig by running `python3 -m ziglang`: the venv first.
export PATH="$infra_venv:$PATH"
glibc_max=2.34   # Amazon Linux 2023, provided.al2023's base
# sam builds with --release and offers no other profile; release keeps line
# tables for the benches' profiling (66 MB for validate). So the release
# profile is given, for this build only, the settings of Cargo.toml's
# [profile.lambda]: stripped, built for size (one place says what Lambda gets).
eval "$(python3 - <<'PY'
import tomllib
with open("Cargo.toml", "rb") as f:
    profile = tomllib.load(f)["profile"]["lambda"]
for key, value in profile.items():
    if key == "inherits":
        continue
    value = str(value).lower() if isinstance(value, bool) else str(value)
    print(f"export CARGO_PROFILE_RELEASE_{key.upper().replace('-', '_')}={value}")
PY
)"
env | grep '^CARGO_PROFILE_RELEASE_' | sort
build_dir=.aws-sam/build

command -v readelf >/dev/null || {
  echo "infra/build.sh: readelf is missing: install binutils (apt-get install binutils)" >&2
  exit 1
}
if command -v rustup >/dev/null; then
  rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || true
fi
target_dir=$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT

if [ "${1:-}" != --checks-only ]; then
  echo "--- sam build (arm64; cargo target folder $target_dir)"
  start=$(date +%s)
  sam build --template infra/template.yaml --build-dir "$build_dir" --beta-features \
    --parameter-overrides Architecture=arm64
  echo "sam build took $(($(date +%s) - start)) s"
fi

fail() {
  echo "infra/build.sh: $*" >&2
  exit 1
}

echo "--- the SDK compiled once"
# One fingerprint per compilation of a crate with one set of features; more
# than one made by this run means each function compiled its own SDK (an
# aws-lambda-builders without PR #901, or functions asking for different
# features of it). Separate target folders under functions/ mean the same.
compiled=$(find "$target_dir" -maxdepth 4 -type d -path '*/release/.fingerprint/aws-sdk-dynamodb-*' \
  -newer "$stamp" 2>/dev/null | wc -l)
echo "aws-sdk-dynamodb compiled $compiled time(s) by this build (0: all reused from an earlier one)"
[ "$compiled" -le 1 ] || fail "the AWS SDK was compiled $compiled times: the functions do not share one cargo target folder and features"
strays=$(find functions -mindepth 2 -maxdepth 2 -type d -name target)
[ -z "$strays" ] || fail "per-function cargo target folders ($strays): aws-lambda-builders is building each function on its own"

echo "--- bootstraps: arm64, glibc <= $glibc_max"
printf '%-18s %12s %12s %8s\n' function bootstrap zipped glibc
found=0
for bootstrap in "$build_dir"/*/bootstrap; do
  [ -f "$bootstrap" ] || continue
  found=$((found + 1))
  function=$(basename "$(dirname "$bootstrap")")
  machine=$(readelf -h "$bootstrap" | sed -n 's/^ *Machine: *//p')
  [ "$machine" = AArch64 ] || fail "$bootstrap is for $machine, not arm64 (AArch64)"
  # objdump reads the dynamic symbols' versions when it knows the
  # architecture; readelf reads any ELF.
  versions=$( (objdump -T "$bootstrap" 2>/dev/null || readelf --dyn-syms --wide "$bootstrap") |
    grep -oE 'GLIBC_[0-9.]+' | sort -uV)
  newest=$(echo "$versions" | tail -1 | sed 's/GLIBC_//')
  [ -n "$newest" ] || fail "$bootstrap: no glibc symbol versions found (objdump -T and readelf both failed?)"
  if [ "$(printf '%s\n%s\n' "$newest" "$glibc_max" | sort -V | tail -1)" != "$glibc_max" ]; then
    fail "$function's bootstrap needs GLIBC_$newest, newer than provided.al2023's $glibc_max"
  fi
  zipped=$(python3 -c 'import io, sys, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[1], "bootstrap")
print(len(b.getvalue()))' "$bootstrap")
  printf '%-18s %12s %12s %8s\n' "$function" "$(stat -c %s "$bootstrap")" "$zipped" "$newest"
done
[ "$found" -eq 5 ] || fail "expected 5 bootstraps under $build_dir, found $found"
echo "infra/build.sh: 5 arm64 bootstraps, each needing at most GLIBC_$glibc_max"
