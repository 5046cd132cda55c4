"""The CLI's HTTP client: SigV4 for a deployed stack, the stack's ApiUrl output, settings parsing."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.credentials import Credentials
from moto import mock_aws

from base_sync_cli.client import ApiClient, Signer, is_local, region_from_url, stack_api_url
from base_sync_cli.main import parse_setting

DEPLOYED = "https://abc123defg.execute-api.ap-northeast-1.amazonaws.com/prod"


def test_deployed_apis_are_signed_for_execute_api() -> None:
    signer = Signer("ap-northeast-1", Credentials("AKIDEXAMPLE", "secret", "session-token"))
    headers = signer.headers("GET", f"{DEPLOYED}/shops", b"", {"Accept": "application/json"})
    auth = headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/ap-northeast-1/execute-api/aws4_request" in auth
    assert "SignedHeaders=" in auth and "Signature=" in auth
    assert headers["X-Amz-Security-Token"] == "session-token"


def test_only_non_local_urls_are_signed_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert ApiClient.for_url("http://127.0.0.1:3000").signer is None
    assert ApiClient.for_url("http://localhost:3000").signer is None
    signer = ApiClient.for_url(DEPLOYED).signer
    assert signer is not None and signer.region == "ap-northeast-1"
    assert is_local("http://[::1]:3000") and not is_local(DEPLOYED)
    assert region_from_url(DEPLOYED) == "ap-northeast-1"
    assert region_from_url("https://api.example.com") is None


@mock_aws
def test_stack_api_url_reads_the_stack_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ApiUrl": {"Value": DEPLOYED}, "Other": {"Value": "x"}},
    }
    boto3.client("cloudformation", region_name="ap-northeast-1").create_stack(
        StackName="base-order-sync", TemplateBody=json.dumps(template)
    )
    assert stack_api_url("base-order-sync", "ap-northeast-1") == DEPLOYED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import_days=14", ("import_days", 14)),
        ("auto_export=false", ("auto_export", False)),
        ("export_filter=processed_only", ("export_filter", "processed_only")),
        ("comment_template=伝票番号 {tracking_number}", ("comment_template", "伝票番号 {tracking_number}")),
        ('comment_template="7"', ("comment_template", "7")),
        ("comment_template=", ("comment_template", "")),
    ],
)
def test_settings_values_are_json_where_they_parse(text: str, expected: tuple[str, object]) -> None:
    assert parse_setting(text) == expected


def test_a_setting_without_equals_is_refused() -> None:
    with pytest.raises(ValueError, match="key=value"):
        parse_setting("import_days")
