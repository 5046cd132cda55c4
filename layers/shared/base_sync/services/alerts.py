"""Alerts to the operator through the SNS topic (e-mailed when AlertEmail is set)."""

from __future__ import annotations

from base_sync.aws import sns
from base_sync.observability import logger


class Alerts:
    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn

    def send(self, subject: str, message: str) -> None:
        """Publish one alert; SNS subjects are ASCII-ish and at most 100 characters."""
        logger.warning("alert", extra={"alert_subject": subject})
        sns().publish(TopicArn=self.topic_arn, Subject=subject[:100], Message=message)
