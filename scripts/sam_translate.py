"""Prints infra/template.yaml (or the template named) as the plain
CloudFormation JSON that AWS's SAM transform makes of it, offline.

Run with the Python of infra/venv.sh (aws-sam-cli brings the translator).
Two things `sam validate` also does before translating: a function's local
`CodeUri` (a folder that `sam build` packages) becomes a placeholder S3
location, and AWS managed policies are named from the list the translator
ships instead of asking IAM.
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class ShippedManagedPolicies:
    """Managed policy names -> ARNs without an IAM call: the translator's
    bundled list answers the names it knows; an unknown one fails."""

    def load(self):
        return {}


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "infra/template.yaml"
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"):
            for key in ("CodeUri", "ContentUri"):
                uri = props.get(key)
                if isinstance(uri, str) and not uri.startswith("s3://"):
                    props[key] = "s3://batchmsg-local-build/" + (uri.strip("./").replace("/", "-") or "code")
    globals_ = template.get("Globals", {}).get("Function", {})
    if isinstance(globals_.get("CodeUri"), str) and not globals_["CodeUri"].startswith("s3://"):
        globals_["CodeUri"] = "s3://batchmsg-local-build/code"
    # The region the tests use (moto's stack is made there); the translator
    # writes it into the ARNs it builds.
    os.environ["AWS_DEFAULT_REGION"] = "eu-west-2"
    translated = transform(template, {}, ShippedManagedPolicies())
    json.dump(translated, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
