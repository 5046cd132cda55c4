"""template.yaml expanded as ``sam deploy`` does: SAM CLI's YAML parser, then aws-sam-translator.

aws-sam-translator lives in ``.venv-sam`` (SAM CLI's own environment, made by ``make setup``), not
in the project's venv, so :func:`expanded_template` runs this file there as a script. Managed
policies that SAM names (AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess, …) stay as their
ARNs; the loader stub below answers SAM's managed-policy lookups offline.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"

DEFAULT_PARAMETERS = {
    "BaseClientId": "client-id",
    "BaseClientSecret": "client-secret",
    "AWS::Region": "ap-northeast-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "base-order-sync",
}


def expanded_template(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template ``sam deploy`` would hand to CloudFormation (cached per parameters)."""
    return json.loads(_expand(json.dumps({**DEFAULT_PARAMETERS, **(parameters or {})}, sort_keys=True)))  # type: ignore[no-any-return]


@cache
def _expand(parameters_json: str) -> str:
    if not SAM_PYTHON.exists():
        raise RuntimeError(f"{SAM_PYTHON} is missing: run `make setup` (it makes .venv-sam with SAM CLI)")
    done = subprocess.run(
        [str(SAM_PYTHON), __file__, str(TEMPLATE)],
        input=parameters_json,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": DEFAULT_PARAMETERS["AWS::Region"]},
    )
    if done.returncode != 0:
        raise RuntimeError(f"the SAM transform failed:\n{done.stderr}")
    return done.stdout


def _main(template_path: str) -> None:  # runs inside .venv-sam
    from samcli.yamlhelper import yaml_parse  # type: ignore[import-not-found]  # noqa: PLC0415
    from samtranslator.translator.transform import transform  # type: ignore[import-not-found]  # noqa: PLC0415

    class ManagedPolicies:
        """SAM asks for the account's managed policies only to resolve bare names; answer offline."""

        def load(self) -> dict[str, str]:
            names = (
                "AWSLambdaBasicExecutionRole",
                "AWSXrayWriteOnlyAccess",
                "AWSLambdaDynamoDBExecutionRole",
            )
            return {name: f"arn:aws:iam::aws:policy/{name}" for name in names}

    parameters = json.loads(sys.stdin.read())
    template = yaml_parse(Path(template_path).read_text(encoding="utf-8"))
    for resource in template["Resources"].values():  # what `sam package` does: code goes to S3
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://packaged-artifacts/{props[key].strip('/')}"
    print(json.dumps(transform(template, parameters, ManagedPolicies()), default=str))


if __name__ == "__main__":
    _main(sys.argv[1])
