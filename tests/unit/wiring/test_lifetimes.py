"""What wiring builds once per Lambda container, and what once per job or request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from base_sync import wiring
from base_sync.domain.credentials import AppCredentials
from base_sync.domain.deadline import Deadline

ENV = {
    "AWS_DEFAULT_REGION": "ap-northeast-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "BASE_API_URL": "https://base.example",
    "APP_CREDENTIALS_SECRET": "stack/app-credentials",
    "SHOP_SECRET_PREFIX": "stack/shops/",
    "SHOPS_TABLE": "shops",
    "ORDERS_TABLE": "orders",
    "EXPORTS_TABLE": "exports",
    "LOCKS_TABLE": "locks",
    "ALERT_TOPIC_ARN": "arn:aws:sns:ap-northeast-1:123456789012:alerts",
    "JOBS_QUEUE_URL": "https://sqs.example/jobs.fifo",
}


class FakeSecrets:
    """Counts credential reads: SecretsStore re-reads them every five minutes, so every client asks."""

    def __init__(self) -> None:
        self.reads = 0

    def app_credentials(self, *, include_secret: bool = True) -> AppCredentials:
        self.reads += 1
        secret = f"secret-{self.reads}" if include_secret else ""
        return AppCredentials(client_id="cid", client_secret=SecretStr(secret), redirect_uri="https://x/cb")


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSecrets]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    wiring.reset()
    fake = FakeSecrets()
    monkeypatch.setattr(wiring, "secrets_store", lambda: fake)
    yield fake
    monkeypatch.undo()  # the real secrets_store back first: reset clears its cache
    wiring.reset()


def test_two_jobs_in_one_container_share_one_http_session(secrets: FakeSecrets) -> None:
    first_job = wiring.base_client(deadline=Deadline.after(60))
    second_job = wiring.base_client()
    assert first_job is not second_job  # per job: its own deadline and call count
    assert first_job.session is second_job.session is wiring.http_session()
    assert first_job.deadline is not second_job.deadline
    assert second_job.deadline.at is None
    first_job.calls.add("orders")
    assert second_job.calls.total == 0


def test_api_and_authorize_clients_use_the_same_pool(secrets: FakeSecrets) -> None:
    deadline = wiring.api_deadline(None)
    api = wiring.api_client(deadline)
    authorize = wiring.authorize_client()
    job = wiring.base_client()
    assert api.session is authorize.session is job.session
    assert api.deadline is deadline  # per request, never shared


def test_every_client_reads_the_credentials_again(secrets: FakeSecrets) -> None:
    """The store caches them for five minutes; a cached client would keep them for the container's life."""
    one = wiring.base_client()
    two = wiring.base_client()
    assert secrets.reads == 2
    assert one.credentials is not None and two.credentials is not None
    assert one.credentials.client_secret.get_secret_value() == "secret-1"
    assert two.credentials.client_secret.get_secret_value() == "secret-2"


def test_the_pool_sends_no_urllib3_retries_and_names_the_app(secrets: FakeSecrets) -> None:
    session = wiring.http_session()
    adapter = session.get_adapter("https://base.example/1/orders")
    assert adapter.max_retries.total == 0  # type: ignore[attr-defined]
    assert str(session.headers["User-Agent"]).startswith("base-order-sync/")


def test_repositories_and_services_are_built_once_per_container(secrets: FakeSecrets) -> None:
    for factory in (
        wiring.shop_repository,
        wiring.order_repository,
        wiring.export_repository,
        wiring.lease_repository,
        wiring.alerts,
        wiring.export_service,
        wiring.management_service,
        wiring.http_session,
    ):
        assert factory() is factory(), factory.__name__
    assert wiring.export_service().shops is wiring.shop_repository()
    assert wiring.management_service().orders is wiring.order_repository()


def test_token_providers_stay_per_job(secrets: FakeSecrets) -> None:
    """A provider is bound to its client's deadline and keeps its own token cache."""
    client = wiring.base_client(deadline=Deadline.after(30))
    one = wiring.token_provider(client)
    two = wiring.token_provider(wiring.base_client())
    assert one is not two
    assert one.deadline is client.deadline
    assert one.leases is two.leases and one.shops is two.shops


def test_reset_forgets_the_pool() -> None:
    wiring.reset()
    before = wiring.http_session()
    wiring.reset()
    assert wiring.http_session() is not before
    wiring.reset()
