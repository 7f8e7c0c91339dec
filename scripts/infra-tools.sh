#!/usr/bin/env bash
# The tools the template's tests need, installed (pinned) into
# target/infra-venv once: aws-sam-translator, which turns infra/template.yaml
# into the plain CloudFormation that `tests/infra` checks and creates in moto.
#
#   source scripts/infra-tools.sh   installs if need be and exports
#                                   BATCHMSG_SAM_TRANSLATE (the command
#                                   that prints a template's translation)
SAM_TRANSLATOR_VERSION=1.115.0
# The translator reads YAML (short-form tags too) with PyYAML, which it does
# not require itself.
PYYAML_VERSION=6.0.3
infra_venv=${INFRA_VENV:-target/infra-venv}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! "$infra_venv/bin/python3" -c "import samtranslator, yaml, sys; sys.exit(samtranslator.__version__ != '$SAM_TRANSLATOR_VERSION' or yaml.__version__ != '$PYYAML_VERSION')" 2>/dev/null; then
  echo "--- installing aws-sam-translator==$SAM_TRANSLATOR_VERSION into $infra_venv" >&2
  rm -rf "$infra_venv"
  python3 -m venv "$infra_venv"
  "$infra_venv/bin/pip" install --quiet --disable-pip-version-check \
    "aws-sam-translator==$SAM_TRANSLATOR_VERSION" "pyyaml==$PYYAML_VERSION"
fi
export BATCHMSG_SAM_TRANSLATE="$(cd "$infra_venv" && pwd)/bin/python3 $here/sam_translate.py"
echo "--- aws-sam-translator $SAM_TRANSLATOR_VERSION: BATCHMSG_SAM_TRANSLATE=$BATCHMSG_SAM_TRANSLATE" >&2
