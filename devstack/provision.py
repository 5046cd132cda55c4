"""Create template.yaml's tables, queues, topics and secrets on a local AWS endpoint (moto server).

Only the resource types the product uses are understood; anything else is skipped, and the
Lambda functions themselves run in-process (see ``devstack.handlers``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import boto3

from devstack.template import Template

ACCOUNT_ID = "123456789012"
APP_CREDENTIALS_SECRET = (
    "AppCredentialsSecret"  # its JSON holds the OAuth redirect URI (and nothing a user typed)
)


@dataclass
class LocalStack:
    """The resources made for one stack name, and the environment each function would get."""

    template: Template
    stack_name: str
    region: str
    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attrs: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """Evaluate the intrinsic functions the template uses (Ref, Sub, GetAtt)."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                return self.attrs[(arg[0], arg[1])]
            if key == "Fn::Sub":
                text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                local_values = {k: self.resolve(v) for k, v in local.items()}
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1), local_values), text)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _pseudo(self) -> dict[str, str]:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def _ref(self, name: str) -> str:
        pseudo = self._pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.refs.get(name, f"local-{name}")

    def _sub(self, name: str, local: dict[str, str]) -> str:
        if name in local:
            return str(local[name])
        if "." in name:
            res, attr = name.split(".", 1)
            return self.attrs[(res, attr)]
        return self._ref(name)

    def function_env(self, logical_id: str) -> dict[str, str]:
        spec = self.template.functions()[logical_id]
        return {k: str(self.resolve(v)) for k, v in spec.environment.items()}


def provision(
    template: Template,
    *,
    stack_name: str,
    region: str,
    parameters: dict[str, str],
    redirect_uri: str | None = None,
    secret_strings: dict[str, str] | None = None,
) -> LocalStack:
    """Make every table, queue, topic and secret of the template; returns their names for the functions.

    Secrets get the template's SecretString, resolved as CloudFormation would (the client secret
    is the parameter's value alone, whatever characters it holds). ``redirect_uri`` is the local
    callback URL: it replaces the API Gateway URL in the app-credentials secret, which keeps the
    template's shape (``{"redirect_uri": …}``). ``secret_strings`` overrides a secret's whole value
    by logical id (tests of other shapes).
    """
    params = {**template.parameter_defaults(), **parameters}
    stack = LocalStack(template, stack_name, region, params)
    ddb = boto3.client("dynamodb", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    sns = boto3.client("sns", region_name=region)
    sm = boto3.client("secretsmanager", region_name=region)
    resources = template.resources
    # Queues first without redrive (dead-letter queues must exist before their sources).
    ordered = sorted(resources.items(), key=lambda kv: "RedrivePolicy" in kv[1].get("Properties", {}))
    for logical_id, res in ordered:
        props = res.get("Properties", {})
        kind = res["Type"]
        if kind == "AWS::DynamoDB::Table":
            _make_table(ddb, stack, logical_id, props)
        elif kind == "AWS::SQS::Queue":
            _make_queue(sqs, stack, logical_id, props)
        elif kind == "AWS::SNS::Topic":
            arn = sns.create_topic(Name=f"{stack_name}-{logical_id}")["TopicArn"]
            stack.refs[logical_id] = arn
            stack.attrs[(logical_id, "TopicName")] = arn.rsplit(":", 1)[1]
            stack.attrs[(logical_id, "TopicArn")] = arn
    for logical_id, res in resources.items():
        if res["Type"] == "AWS::SecretsManager::Secret":
            props = res["Properties"]
            name = stack.resolve(props["Name"])
            value = (secret_strings or {}).get(logical_id)
            if value is None and redirect_uri is not None and logical_id == APP_CREDENTIALS_SECRET:
                value = _with_redirect_uri(stack.resolve(props.get("SecretString", "{}")), redirect_uri)
            if value is None:
                value = stack.resolve(props.get("SecretString", "{}"))
            arn = sm.create_secret(Name=name, SecretString=value)["ARN"]
            stack.refs[logical_id] = arn
    return stack


def _with_redirect_uri(template_value: str, redirect_uri: str) -> str:
    """The app-credentials JSON as the template builds it, pointing at the local callback instead."""
    data = json.loads(template_value)
    if set(data) != {"redirect_uri"}:
        raise ValueError(f"{APP_CREDENTIALS_SECRET} should hold only redirect_uri, not {sorted(data)}")
    return json.dumps({"redirect_uri": redirect_uri})


def _make_table(ddb: Any, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
    name = f"{stack.stack_name}-{logical_id}"
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(index_kind):
            kwargs[index_kind] = props[index_kind]
    if props.get("StreamSpecification"):
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    description = ddb.create_table(**kwargs)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    stack.refs[logical_id] = name
    stack.attrs[(logical_id, "Arn")] = description["TableArn"]
    if "LatestStreamArn" in description:
        stack.attrs[(logical_id, "StreamArn")] = description["LatestStreamArn"]


def _make_queue(sqs: Any, stack: LocalStack, logical_id: str, props: dict[str, Any]) -> None:
    fifo = bool(props.get("FifoQueue"))
    name = f"{stack.stack_name}-{logical_id}" + (".fifo" if fifo else "")
    attributes: dict[str, str] = {}
    for key in (
        "FifoQueue",
        "ContentBasedDeduplication",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DeduplicationScope",
        "FifoThroughputLimit",
    ):
        if key in props:
            value = stack.resolve(props[key])
            attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(stack.resolve(props["RedrivePolicy"]))
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stack.refs[logical_id] = url
    stack.attrs[(logical_id, "Arn")] = arn
    stack.attrs[(logical_id, "QueueName")] = name
    stack.attrs[(logical_id, "QueueUrl")] = url
