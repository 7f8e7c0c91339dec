#!/usr/bin/env bash
# The SAM translator the template's tests need: AWS's own (aws-sam-translator,
# which aws-sam-cli brings, pinned in infra/venv.sh and installed there into
# target/infra-venv once), so the tests read the same CloudFormation that
# `sam deploy` would make. Sourced by scripts/test; exports
#
#   BATCHMSG_SAM_TRANSLATE   the command that prints a template's translation
#                            as JSON (scripts/sam_translate.py)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(cd "$here/.." && source infra/venv.sh >/dev/null)
export BATCHMSG_SAM_TRANSLATE="$here/../target/infra-venv/bin/python $here/sam_translate.py"
