"""Item 18: a client secret with any character BASE can issue reaches the code unchanged.

The template stores the client secret alone (``AppClientSecret``: SecretString is the parameter,
no JSON built around it); the app-credentials secret holds only the redirect URI, built from
nothing a user typed. devstack provisions the same shape from the template, which the local run,
the integration tests and the code (dal/secrets.py) use.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import boto3
import pytest
from tests.unit.template.expand import expanded_template

from devstack.provision import provision
from devstack.schedules import scheduled_event, schedules_of
from devstack.template import Template

# `"` and `\` broke the JSON built with !Sub; the rest looks like JSON escapes, substitutions
# and form encoding.
ODD_SECRET = 'se"cr\\et\\n\\u0041 ${AWS::Region} ${BaseClientId} %41&x=y+z \'"\\'
REGION = "ap-northeast-1"
NAME_PREFIX = (
    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${AWS::StackName}/"
)


def _cloudformation_value(value: Any, parameters: dict[str, str]) -> str:
    """What CloudFormation stores for a SecretString: Ref of a parameter is its value as given;
    Fn::Sub puts values in as they are (it knows nothing of JSON)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return parameters[value["Ref"]]
    text = value["Fn::Sub"]
    text, local = (text, {}) if isinstance(text, str) else (text[0], text[1])

    def sub(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner in local:
            return _cloudformation_value(local[inner], parameters)
        if inner in parameters:
            return parameters[inner]
        return f"resolved-{inner.replace(':', '-').replace('.', '-')}"

    return re.sub(r"\$\{([^}!]+)\}", sub, text)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return expanded_template()


def test_the_client_secret_is_stored_alone_and_arrives_unchanged(template: dict[str, Any]):
    secret = template["Resources"]["AppClientSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}/app-client-secret"}
    assert secret["Properties"]["SecretString"] == {"Ref": "BaseClientSecret"}
    parameters = {"BaseClientSecret": ODD_SECRET, "BaseClientId": "client-id"}
    assert _cloudformation_value(secret["Properties"]["SecretString"], parameters) == ODD_SECRET


def test_the_app_credentials_hold_only_the_redirect_uri_for_any_client_secret(template: dict[str, Any]):
    props = template["Resources"]["AppCredentialsSecret"]["Properties"]
    assert props["Name"] == {"Fn::Sub": "${AWS::StackName}/app-credentials"}
    parameters = {"BaseClientSecret": ODD_SECRET, "BaseClientId": 'id"with\\quote'}
    stored = json.loads(
        _cloudformation_value(props["SecretString"], parameters)
    )  # valid JSON whatever was passed
    assert set(stored) == {"redirect_uri"}
    assert stored["redirect_uri"].startswith("https://resolved-Api.execute-api.")
    assert stored["redirect_uri"].endswith("/prod/oauth/callback")
    assert "Base" not in json.dumps(props["SecretString"])  # no parameter inside


def test_every_function_finds_the_client_secret_and_id_by_environment(template: dict[str, Any]):
    for name, res in template["Resources"].items():
        if res["Type"] != "AWS::Lambda::Function":
            continue
        env = res["Properties"]["Environment"]["Variables"]
        assert env["APP_CLIENT_SECRET_NAME"] == {"Fn::Sub": "${AWS::StackName}/app-client-secret"}, name
        assert env["BASE_CLIENT_ID"] == {"Ref": "BaseClientId"}, name
        assert env["APP_CREDENTIALS_SECRET"] == {"Fn::Sub": "${AWS::StackName}/app-credentials"}, name
        assert "BaseClientSecret" not in json.dumps(env), name


def test_whoever_reads_the_client_secret_also_reads_the_app_credentials(template: dict[str, Any]):
    readers: dict[str, set[str]] = {}
    for name, res in template["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for policy in res["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                resources = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                for resource in resources:
                    text = json.dumps(resource)
                    for secret in ("app-credentials-*", "app-client-secret-*"):
                        if NAME_PREFIX + secret in text:
                            assert statement["Action"] in (
                                "secretsmanager:GetSecretValue",
                                ["secretsmanager:GetSecretValue"],
                            )
                            readers.setdefault(secret, set()).add(name)
    assert readers["app-client-secret-*"] <= readers["app-credentials-*"]
    assert readers["app-client-secret-*"] == {
        f"{f}Role"
        for f in ("OAuthCallbackFunction", "TokenKeepaliveFunction", "JobWorkerFunction", "ExportApiFunction")
    }


@pytest.mark.integration
def test_devstack_provisions_the_template_shape_with_any_client_secret(moto_url: str):
    template = Template.load()
    stack = provision(
        template,
        stack_name=f"t{uuid.uuid4().hex[:10]}",
        region=REGION,
        parameters={
            "BaseClientId": "odd-client",
            "BaseClientSecret": ODD_SECRET,
            "BaseApiUrl": "http://127.0.0.1:9",
        },
        redirect_uri="http://127.0.0.1:3000/oauth/callback",
    )
    env = stack.function_env("JobWorkerFunction")
    assert env["BASE_CLIENT_ID"] == "odd-client"
    sm = boto3.client("secretsmanager", region_name=REGION)
    assert sm.get_secret_value(SecretId=env["APP_CLIENT_SECRET_NAME"])["SecretString"] == ODD_SECRET
    credentials = json.loads(sm.get_secret_value(SecretId=env["APP_CREDENTIALS_SECRET"])["SecretString"])
    assert credentials == {"redirect_uri": "http://127.0.0.1:3000/oauth/callback"}
    # the new queues exist too (nothing that sends to them breaks locally)
    sqs = boto3.client("sqs", region_name=REGION)
    for queue in ("TickFailureQueue", "StreamFailureQueue", "JobsQueue", "JobsDeadLetterQueue"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.refs[queue], AttributeNames=["VisibilityTimeout"]
        )
        assert attributes["Attributes"], queue
    visibility = sqs.get_queue_attributes(
        QueueUrl=stack.refs["JobsQueue"], AttributeNames=["VisibilityTimeout"]
    )
    assert visibility["Attributes"]["VisibilityTimeout"] == "5400"
    # the schedules hand their function the scheduled time, as Scheduler fills in the Input
    schedules = schedules_of(stack)
    assert len(schedules) == 4
    for schedule in schedules:
        assert set(scheduled_event(schedule)) == {"scheduled_time"}, schedule.event_name
