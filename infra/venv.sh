# The infrastructure tools, pinned, from PyPI into venvs under target/ (made
# once, reused while the pins are unchanged). Sourced by infra/check.sh and
# infra/build.sh; defines infra_venv and checkov_venv (their bin directories).
#
# Two venvs, because aws-sam-cli 1.170.0 pins boto3 1.43.108 and checkov
# 3.3.30 pins boto3 1.35.49: pip cannot put both in one.
#
# aws-sam-cli 1.170.0 brings aws-lambda-builders 1.67.0, which has
# aws-lambda-builders PR #901 (a Cargo workspace's functions share one target
# folder, so `sam build` compiles the AWS SDK once, not once per function).

INFRA_PINS="aws-sam-cli==1.170.0 cfn-lint==1.58.0 cargo-lambda==1.9.2 ziglang==0.17.1"
CHECKOV_PINS="checkov==3.3.30"

# make_venv DIR PINS...: DIR holds exactly PINS, installed unless DIR/.pins says so.
make_venv() {
  local dir=$1
  shift
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.pins" 2>/dev/null)" = "$*" ]; then
    return 0
  fi
  echo "installing $* into $dir (once)" >&2
  rm -rf "$dir"
  # Debian's python3 may lack ensurepip (python3-venv): then virtualenv,
  # from PyPI, makes the venv instead.
  if ! python3 -m venv "$dir" >/dev/null 2>&1; then
    rm -rf "$dir"
    python3 -m pip install --quiet --disable-pip-version-check --user virtualenv >&2
    python3 -m virtualenv --quiet "$dir" >&2
  fi
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  echo "$*" >"$dir/.pins"
}

# shellcheck disable=SC2086 # the pins are words
make_venv target/infra-venv $INFRA_PINS
# shellcheck disable=SC2086
make_venv target/checkov-venv $CHECKOV_PINS
infra_venv=$PWD/target/infra-venv/bin
checkov_venv=$PWD/target/checkov-venv/bin

# Offline: no AWS account, no telemetry, no update checks. A region is all
# `sam validate --lint` needs; the keys are moto's fake ones, never real.
export AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing}
export SAM_CLI_TELEMETRY=0 SAM_CLI_BETA_RUST_CARGO_LAMBDA=1
# checkov otherwise fetches Prisma Cloud's guidelines (a network call) on every run.
export BC_SKIP_MAPPING=TRUE
