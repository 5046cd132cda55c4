"""Multi-step journeys that several tests start from."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3

from base_sync import wiring
from base_sync.domain.shop import ShopSettings, ShopTokens
from tests.support.stack import CLIENT_ID, REDIRECT_URI, REGION, StackUnderTest

SCOPE = "read_users read_orders write_orders"


def connect_shop(stack: StackUnderTest, shop_id: str = "shop-a", shop_name: str = "テスト商店") -> None:
    """Create the shop in the sandbox and connect it through POST /connect, consent and the callback."""
    stack.base.create_shop(shop_id, shop_name)
    answer = stack.http("POST", "/connect")
    assert answer.status == 201, answer.body
    state = parse_qs(urlsplit(answer.json()["authorize_url"]).query)["state"][0]
    location = stack.base.authorize(CLIENT_ID, REDIRECT_URI, shop_id, scope=SCOPE, state=state)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    callback = stack.http("GET", "/oauth/callback", query=query)
    assert callback.status == 200, callback.body


class AlertInbox:
    """An SQS queue subscribed to the alert topic, so tests read alerts as an operator's mailbox would."""

    def __init__(self, stack: StackUnderTest) -> None:
        self._sqs = boto3.client("sqs", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        self.url = self._sqs.create_queue(QueueName=f"{stack.name}-alert-inbox")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=stack.local.refs["AlertTopic"], Protocol="sqs", Endpoint=arn)

    def messages(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = []
        while True:
            batch = self._sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not batch.get("Messages"):
                return found
            for message in batch["Messages"]:
                found.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


def age_tokens(
    stack: StackUnderTest, shop_id: str, *, expires_in: timedelta, issued_ago: timedelta
) -> ShopTokens:
    """Rewrite the stored pair's times, as if it had been issued ``issued_ago``."""
    with stack.env():
        store = wiring.secrets_store()
        tokens = store.shop_tokens(shop_id)
        now = datetime.now(UTC)
        aged = tokens.model_copy(update={"expires_at": now + expires_in, "issued_at": now - issued_ago})
        store.put_shop_tokens(aged)
        return aged


def seed_shops(
    stack: StackUnderTest, count: int, *, status: str = "connected", prefix: str = "shop"
) -> list[str]:
    """``count`` shops written straight into the shops table (connecting 2,000 through OAuth adds nothing here)."""
    ids = [f"{prefix}-{n:05d}" for n in range(count)]
    shops = boto3.resource("dynamodb", region_name=REGION).Table(stack.local.refs["ShopsTable"])
    settings = ShopSettings().model_dump(mode="json")
    with shops.batch_writer() as batch:
        for shop_id in ids:
            batch.put_item(
                Item={"shop_id": shop_id, "shop_name": shop_id, "status": status, "settings": settings}
            )
    return ids
