"""Connecting a shop end to end: POST /connect, BASE's consent (sandbox), GET /oauth/callback."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from tests.support.flows import SCOPE, connect_shop
from tests.support.stack import CLIENT_ID, REDIRECT_URI, REGION, TEMPLATE, StackUnderTest

from base_sandbox import SandboxAdmin, SandboxServer
from base_sync import aws, wiring
from base_sync.dal.secrets import SecretsStore
from devstack.lambdas import LocalLambdas
from devstack.provision import provision

pytestmark = pytest.mark.integration


def _start(stack: StackUnderTest) -> dict[str, str]:
    answer = stack.http("POST", "/connect")
    assert answer.status == 201, answer.body
    url = answer.json()["authorize_url"]
    assert url.startswith(stack.local.parameters["BaseApiUrl"] + "/1/oauth/authorize?")
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _consent(stack: StackUnderTest, shop_id: str, state: str, *, approve: bool = True) -> dict[str, str]:
    location = stack.base.authorize(
        CLIENT_ID, REDIRECT_URI, shop_id, scope=SCOPE, state=state, approve=approve
    )
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _shop_exists(stack: StackUnderTest, shop_id: str) -> bool:
    with stack.env():
        try:
            wiring.shop_repository().get(shop_id)
        except LookupError:
            return False
        return True


def _secret_exists(stack: StackUnderTest, shop_id: str) -> bool:
    with stack.env():
        return wiring.secrets_store().shop_secret_exists(shop_id)


def test_connect_returns_authorize_url_with_fresh_state(stack: StackUnderTest):
    before = time.time()
    answer = stack.http("POST", "/connect")
    assert answer.status == 201
    body = answer.json()
    params = {k: v[0] for k, v in parse_qs(urlsplit(body["authorize_url"]).query).items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"] == SCOPE
    assert len(params["state"]) >= 22  # at least 128 bits in URL-safe base64
    from datetime import datetime  # noqa: PLC0415

    expires = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert before + 590 <= expires <= time.time() + 610
    assert _start(stack)["state"] != params["state"]


def test_full_connect_flow_stores_tokens_and_shop(stack: StackUnderTest):
    stack.base.create_shop("shop-a", "テスト商店")
    query = _consent(stack, "shop-a", _start(stack)["state"])
    answer = stack.http("GET", "/oauth/callback", query=query)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "テスト商店" in answer.body and "connected" in answer.body
    assert answer.body.index("接続しました") < answer.body.index("is connected")  # Japanese first
    with stack.env():
        shop = wiring.shop_repository().get("shop-a")
        tokens = wiring.secrets_store().shop_tokens("shop-a")
    assert shop.status == "connected"
    assert shop.shop_name == "テスト商店"
    assert shop.settings.import_days == 7 and shop.settings.export_filter == "all_except_new_and_hold"
    assert tokens.access_token.get_secret_value() not in answer.body
    assert stack.base.tokens()["shops"]["shop-a"]["codes_exchanged"] == 1


def test_reconnect_replaces_tokens_keeps_settings_and_clears_needs_reauth(stack: StackUnderTest):
    connect_shop(stack)
    with stack.env():
        repo = wiring.shop_repository()
        settings = repo.get("shop-a").settings.model_copy(update={"import_days": 30})
        repo.put_settings("shop-a", settings)
        assert repo.mark_needs_reauth("shop-a", reason="test", now_iso="2026-01-01T00:00:00+00:00")
        old = wiring.secrets_store().shop_tokens("shop-a").refresh_token.get_secret_value()
    query = _consent(stack, "shop-a", _start(stack)["state"])
    answer = stack.http("GET", "/oauth/callback", query=query)
    assert answer.status == 200
    assert "再接続" in answer.body
    with stack.env():
        shop = wiring.shop_repository().get("shop-a")
        new = wiring.secrets_store().shop_tokens("shop-a").refresh_token.get_secret_value()
    assert shop.status == "connected"
    assert shop.settings.import_days == 30
    assert new != old


@pytest.mark.parametrize(
    ("case", "status", "phrase"),
    [
        ("no_state", 400, "state"),
        ("unknown_state", 400, "not valid"),
        ("expired_state", 400, "expired"),
        ("no_code", 400, "no authorization code"),
        ("access_denied", 400, "declined"),
        ("bad_code", 502, "refused the authorization code"),
        ("base_unreachable", 502, "could not be reached"),
    ],
)
def test_bad_callbacks_store_nothing(stack: StackUnderTest, case: str, status: int, phrase: str):
    stack.base.create_shop("shop-a", "テスト商店")
    state = _start(stack)["state"]
    query = _consent(stack, "shop-a", state)
    if case == "no_state":
        query.pop("state")
    elif case == "unknown_state":
        query["state"] = "x" * 43
    elif case == "expired_state":
        with stack.env():
            wiring.oauth_state_repository().create("old-state", expires_at=int(time.time()) - 1)
        query["state"] = "old-state"
    elif case == "no_code":
        query.pop("code")
    elif case == "access_denied":
        query = _consent(stack, "shop-a", state, approve=False)
        assert query["error"] == "access_denied"
    elif case == "bad_code":
        query["code"] = "not-a-code"
    elif case == "base_unreachable":
        stack.base.add_fault("drop_before", path_prefix="/1/oauth/token", rate=1.0)
    answer = stack.http("GET", "/oauth/callback", query=query)
    stack.base.clear_faults()
    assert answer.status == status, answer.body
    assert answer.headers["content-type"].startswith("text/html")
    assert phrase in answer.body
    assert not _shop_exists(stack, "shop-a")
    assert not _secret_exists(stack, "shop-a")


def test_a_state_works_once(stack: StackUnderTest):
    stack.base.create_shop("shop-a", "テスト商店")
    query = _consent(stack, "shop-a", _start(stack)["state"])
    assert stack.http("GET", "/oauth/callback", query=query).status == 200
    replay = stack.http("GET", "/oauth/callback", query=query)
    assert replay.status == 400
    assert "already used" in replay.body


def test_callback_escapes_what_it_echoes(stack: StackUnderTest):
    state = _start(stack)["state"]
    hostile = '<script>alert("x")</script>'
    answer = stack.http("GET", "/oauth/callback", query={"state": state, "error": hostile})
    assert answer.status == 400
    assert "<script>" not in answer.body
    assert "&lt;script&gt;" in answer.body


def test_an_overlong_state_is_unknown_without_a_lookup(stack: StackUnderTest):
    answer = stack.http("GET", "/oauth/callback", query={"state": "s" * 5000, "code": "c"})
    assert answer.status == 400
    assert "not valid" in answer.body


def test_our_own_failures_are_still_readable_answers(stack: StackUnderTest):
    """AWS failing under us: the browser gets an HTML page (500), the API a contract error body, never a bare 502."""
    import boto3  # noqa: PLC0415

    state = _start(stack)["state"]
    boto3.client("dynamodb", region_name="ap-northeast-1").delete_table(
        TableName=stack.local.refs["OAuthStatesTable"]
    )
    page = stack.http("GET", "/oauth/callback", query={"state": state, "code": "c"})
    assert page.status == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in page.body
    answer = stack.http("POST", "/connect")
    assert answer.status == 500
    assert answer.json()["error"] == "internal_error"


# --- issue 12, item 18: a client secret with any characters BASE can issue ----------------------

ODD_CLIENT_ID = "odd-client-id-4711"
# `"` and `\` broke the app-credentials JSON built with !Sub; the rest looks like escapes,
# substitutions and form encoding, and must all arrive at BASE's token endpoint as they are.
ODD_CLIENT_SECRET = 'sec"ret\\n\\u3042 ${AWS::Region} %41&x=y+z\\'


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class SecretReadsRefused:
    """Answers GetSecretValue of one secret with AccessDenied at the botocore edge, as IAM would
    for a function without permission on it; counts how often that happened."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.refused = 0
        self._session = boto3._get_default_session()

    def _hook(self, request: Any, **_: Any) -> AWSResponse | None:
        raw = request.headers.get("X-Amz-Target")
        target = raw.decode() if isinstance(raw, bytes) else str(raw or "")
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        if not target.endswith(".GetSecretValue") or json.loads(body or "{}").get("SecretId") != self.name:
            return None
        self.refused += 1
        answer = json.dumps({"__type": "AccessDeniedException", "message": "refused"}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "refused"}
        return AWSResponse(request.url, 400, headers, _Raw(answer))  # type: ignore[arg-type]

    def __enter__(self) -> SecretReadsRefused:
        self._session.events.register("before-send.secrets-manager", self._hook, unique_id="connect-deny")  # type: ignore[arg-type]
        aws.reset_clients()
        wiring.reset()  # the secrets store keeps its client: build it again on the hooked one
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.events.unregister("before-send.secrets-manager", unique_id="connect-deny")
        aws.reset_clients()
        wiring.reset()


class OddSecretStack(StackUnderTest):
    """A stack deployed with ``ODD_CLIENT_SECRET`` as its BaseClientSecret parameter. Only the
    redirect URI is given here (the local API's); the client secret's secret is made from
    template.yaml itself, as CloudFormation would."""

    def __init__(self, sandbox_url: str, base: SandboxAdmin) -> None:
        self.name = f"t{uuid.uuid4().hex[:10]}"
        self.base = base
        self.local = provision(
            TEMPLATE,
            stack_name=self.name,
            region=REGION,
            parameters={
                "BaseClientId": ODD_CLIENT_ID,
                "BaseClientSecret": ODD_CLIENT_SECRET,
                "BaseApiUrl": sandbox_url,
            },
            secret_strings={"AppCredentialsSecret": json.dumps({"redirect_uri": REDIRECT_URI})},
        )
        self.lambdas = LocalLambdas(self.local)
        self.routes = TEMPLATE.routes()
        wiring.reset()
        aws.reset_clients()


def test_a_client_secret_with_quotes_and_backslashes_connects_and_refreshes(
    moto_url: str, sandbox_server: SandboxServer, base: SandboxAdmin
):
    stack = OddSecretStack(sandbox_server.url, base)
    base.create_app(ODD_CLIENT_ID, ODD_CLIENT_SECRET, REDIRECT_URI)  # the sandbox checks client_secret
    base.create_shop("shop-odd", "変わった店")
    env = stack.local.function_env("OAuthCallbackFunction")
    assert env.get("BASE_CLIENT_ID") == ODD_CLIENT_ID
    sm = boto3.client("secretsmanager", region_name=REGION)
    assert sm.get_secret_value(SecretId=env["APP_CLIENT_SECRET_NAME"])["SecretString"] == ODD_CLIENT_SECRET
    with SecretReadsRefused(env["APP_CLIENT_SECRET_NAME"]) as refused:  # POST /connect never reads it
        started = stack.http("POST", "/connect")
    assert started.status == 201, started.body
    assert refused.refused == 0
    params = {k: v[0] for k, v in parse_qs(urlsplit(started.json()["authorize_url"]).query).items()}
    assert params["client_id"] == ODD_CLIENT_ID
    location = base.authorize(ODD_CLIENT_ID, REDIRECT_URI, "shop-odd", scope=SCOPE, state=params["state"])
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    page = stack.http("GET", "/oauth/callback", query=query)
    assert page.status == 200, page.body  # BASE accepted the secret on the code exchange
    base.expire_tokens("shop-odd")
    with stack.env("JobWorkerFunction"):
        store = wiring.secrets_store()
        tokens = store.shop_tokens("shop-odd")
        store.put_shop_tokens(tokens.model_copy(update={"expires_at": tokens.issued_at}))
        client = wiring.base_client()
        token = wiring.token_provider(client).access_token("shop-odd")  # a refresh: the secret again
        assert client.get_me(token).shop_id == "shop-odd"
    assert base.tokens()["shops"]["shop-odd"]["refreshes_succeeded"] == 1
    wiring.reset()


def test_app_credentials_read_the_client_secret_whole_and_the_id_from_the_environment(moto_url: str):
    """The code side alone: the client secret is a secret's whole SecretString (no JSON), the client
    id is configuration, the redirect URI the ``redirect_uri`` field of the app-credentials secret."""
    sm = boto3.client("secretsmanager", region_name=REGION)
    prefix = f"t{uuid.uuid4().hex[:10]}"
    sm.create_secret(Name=f"{prefix}/app-client-secret", SecretString=ODD_CLIENT_SECRET)
    sm.create_secret(
        Name=f"{prefix}/app-credentials", SecretString=json.dumps({"redirect_uri": REDIRECT_URI})
    )
    aws.reset_clients()
    store = SecretsStore(
        app_secret_name=f"{prefix}/app-credentials",
        client_secret_name=f"{prefix}/app-client-secret",
        client_id=ODD_CLIENT_ID,
        shop_prefix=f"{prefix}/shops/",
    )
    credentials = store.app_credentials()
    assert credentials.client_id == ODD_CLIENT_ID
    assert credentials.client_secret.get_secret_value() == ODD_CLIENT_SECRET
    assert credentials.redirect_uri == REDIRECT_URI
    assert ODD_CLIENT_SECRET not in repr(credentials)
    sm.delete_secret(SecretId=f"{prefix}/app-client-secret", ForceDeleteWithoutRecovery=True)
    aws.reset_clients()
    store = SecretsStore(  # a fresh cache: what POST /connect reads, with no client secret to read
        app_secret_name=f"{prefix}/app-credentials",
        client_secret_name=f"{prefix}/app-client-secret",
        client_id=ODD_CLIENT_ID,
        shop_prefix=f"{prefix}/shops/",
    )
    public = store.app_credentials(include_secret=False)
    assert (public.client_id, public.redirect_uri) == (ODD_CLIENT_ID, REDIRECT_URI)
    assert public.client_secret.get_secret_value() == ""
