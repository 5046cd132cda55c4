"""template.yaml, read as data: who may call what, what each function may touch, what is encrypted."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.template import Template

pytestmark = pytest.mark.reliability

TEMPLATE = Template.load()
PUBLIC_ROUTES = {("GET", "/oauth/callback")}
READ_ONLY_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "Receive")


def _statements() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, fn in TEMPLATE.of_type("AWS::Serverless::Function").items():
        for policy in fn["Properties"].get("Policies", []):
            if isinstance(policy, dict) and "Statement" in policy:
                found.extend((logical_id, s) for s in policy["Statement"])
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_text(resource: Any) -> str:
    if isinstance(resource, dict):
        if "Fn::Sub" in resource:
            sub = resource["Fn::Sub"]
            return str(sub[0] if isinstance(sub, list) else sub)
        if "Fn::GetAtt" in resource:
            return "GetAtt:" + ".".join(resource["Fn::GetAtt"])
        if "Ref" in resource:
            return "Ref:" + str(resource["Ref"])
    return str(resource)


def test_every_route_but_the_callback_requires_iam():
    routes = TEMPLATE.routes()
    assert len(routes) >= 10
    api = next(iter(TEMPLATE.of_type("AWS::Serverless::Api").values()))
    assert api["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    for route in routes:
        public = (route.method, route.path) in PUBLIC_ROUTES
        assert route.iam is not public, route


def test_no_wildcard_action_or_resource_on_writes():
    statements = _statements()
    assert statements
    for function, statement in statements:
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        assert all(a != "*" and not a.endswith(":*") for a in actions), (function, actions)
        writes = [a for a in actions if not a.split(":", 1)[-1].startswith(READ_ONLY_PREFIXES)]
        if writes:
            for resource in _as_list(statement.get("Resource", [])):
                text = _resource_text(resource)
                assert text != "*", (function, writes, text)
                assert not text.endswith(":*"), (function, writes, text)
        assert statement.get("Effect") == "Allow", (function, statement)
        assert "NotAction" not in statement and "NotResource" not in statement, (function, statement)


def test_secrets_manager_access_is_scoped_to_the_stacks_names():
    seen = 0
    for function, statement in _statements():
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        if not any(a.startswith("secretsmanager:") for a in actions):
            continue
        for resource in _as_list(statement["Resource"]):
            seen += 1
            text = _resource_text(resource)
            prefix = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${AWS::StackName}/"
            assert text.startswith(prefix), (function, text)
            rest = text.removeprefix(prefix)
            assert rest in ("app-credentials-*", "app-client-secret-*", "shops/*"), (function, text)
            if any(a in actions for a in ("secretsmanager:PutSecretValue", "secretsmanager:CreateSecret")):
                assert rest == "shops/*", (function, "only shop secrets are written")
    assert seen >= 5
    env = TEMPLATE.data["Globals"]["Function"]["Environment"]["Variables"]
    assert env["SHOP_SECRET_PREFIX"] == {"Fn::Sub": "${AWS::StackName}/shops/"}
    assert env["APP_CREDENTIALS_SECRET"] == {"Fn::Sub": "${AWS::StackName}/app-credentials"}
    assert env["APP_CLIENT_SECRET_NAME"] == {"Fn::Sub": "${AWS::StackName}/app-client-secret"}


def test_the_client_secret_is_never_a_plain_environment_variable():
    secret = TEMPLATE.data["Parameters"]["BaseClientSecret"]
    assert secret.get("NoEcho") is True
    texts = [str(TEMPLATE.data["Globals"])]
    texts += [
        str(fn["Properties"].get("Environment", {}))
        for fn in TEMPLATE.of_type("AWS::Serverless::Function").values()
    ]
    assert all("BaseClientSecret" not in t for t in texts)


def test_encryption_at_rest_wherever_the_service_offers_it():
    tables = TEMPLATE.of_type("AWS::DynamoDB::Table")
    queues = TEMPLATE.of_type("AWS::SQS::Queue")
    topics = TEMPLATE.of_type("AWS::SNS::Topic")
    secrets = TEMPLATE.of_type("AWS::SecretsManager::Secret")
    assert tables and queues and topics and secrets
    for name, table in tables.items():
        assert table["Properties"].get("SSESpecification", {}).get("SSEEnabled") is True, name
    for name, queue in queues.items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), name
    for name, topic in topics.items():
        assert topic["Properties"].get("KmsMasterKeyId"), name
    for name, key in TEMPLATE.of_type("AWS::KMS::Key").items():
        assert key["Properties"].get("EnableKeyRotation") is True, name
    for name, group in TEMPLATE.of_type("AWS::Logs::LogGroup").items():
        # CloudWatch Logs encrypts at rest by itself; what must hold is that logs expire.
        assert group["Properties"].get("RetentionInDays") == {"Ref": "LogRetentionDays"}, name
    for name, secret in secrets.items():
        # Secrets Manager always encrypts (aws/secretsmanager unless KmsKeyId names another key);
        # what matters here is that the value is not a plain parameter in an unencrypted place.
        assert "KmsKeyId" not in secret["Properties"] or secret["Properties"]["KmsKeyId"], name
    unknown = {
        r["Type"]
        for r in TEMPLATE.resources.values()
        if r["Type"].split("::")[1] in ("S3", "Kinesis", "EFS", "RDS", "ElastiCache")
        or (r["Type"].startswith("AWS::Logs::") and r["Type"] != "AWS::Logs::LogGroup")
    }
    assert not unknown, f"new storage types need an encryption check: {unknown}"
