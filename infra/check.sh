#!/usr/bin/env bash
# Lints infra/template.yaml offline: cfn-lint, `sam validate --lint` and
# checkov. Any finding fails the script; a check checkov should not apply is
# skipped on its resource in the template (Metadata: checkov: skip:, each
# with the reason), never here. Tools come pinned from PyPI (infra/venv.sh).
#
#   bash infra/check.sh [TEMPLATE]     (default infra/template.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
template=${1:-infra/template.yaml}

echo "--- cfn-lint $template"
"$infra_venv/cfn-lint" "$template"

echo "--- sam validate --lint"
# With --lint, sam runs cfn-lint's rules on the template and calls no AWS API
# (without it, sam validate asks CloudFormation to validate, which needs an account).
"$infra_venv/sam" validate --lint --template "$template" 2>&1

echo "--- checkov (cloudformation)"
# --skip-download: no policies or guidelines fetched from Prisma Cloud.
"$checkov_venv/checkov" --file "$template" --framework cloudformation \
  --compact --quiet --skip-download

echo "--- checkov (the plain CloudFormation SAM makes of it)"
# SAM writes resources of its own (the functions' event permissions, roles
# made from Policies) that checkov does not see in the SAM template. The
# translation is offline (aws-sam-translator, scripts/sam_translate.py).
translated=$(mktemp -d)/template.json
trap 'rm -rf "$(dirname "$translated")"' EXIT
"$infra_venv/python" scripts/sam_translate.py "$template" >"$translated"
"$checkov_venv/checkov" --file "$translated" --framework cloudformation \
  --compact --quiet --skip-download

echo "infra/check.sh: the template passes cfn-lint, sam validate --lint and checkov (as written and translated)"
