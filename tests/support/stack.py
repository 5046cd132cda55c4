"""A fresh copy of the product's AWS side on moto for one test, plus the BASE sandbox's app."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from base_sandbox import SandboxAdmin
from base_sync import aws, wiring
from devstack.apigw import match_route, proxy_event
from devstack.handlers import environment
from devstack.lambdas import LocalLambdas
from devstack.provision import LocalStack, provision
from devstack.template import Template

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-7f3a9c"
REDIRECT_URI = "http://127.0.0.1:3000/oauth/callback"
REGION = "ap-northeast-1"
TEMPLATE = Template.load()


@dataclass
class ApiAnswer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class StackUnderTest:
    """One stack: its resources on moto, its functions invokable in-process, its routes from template.yaml."""

    def __init__(self, sandbox_url: str, base: SandboxAdmin) -> None:
        self.name = f"t{uuid.uuid4().hex[:10]}"
        self.base = base
        self.local: LocalStack = provision(
            TEMPLATE,
            stack_name=self.name,
            region=REGION,
            parameters={
                "BaseClientId": CLIENT_ID,
                "BaseClientSecret": CLIENT_SECRET,
                "BaseApiUrl": sandbox_url,
            },
            redirect_uri=REDIRECT_URI,
        )
        self.lambdas = LocalLambdas(self.local)
        self.routes = TEMPLATE.routes()
        wiring.reset()
        aws.reset_clients()

    @contextmanager
    def env(self, logical_id: str = "OAuthCallbackFunction") -> Iterator[None]:
        """Run service code with the environment a function gets (for tests below the handlers)."""
        wiring.reset()
        with environment(self.local.function_env(logical_id)):
            yield
        wiring.reset()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        return self.lambdas.invoke(logical_id, event)

    def http(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | str | None = None,
        body: Any = None,
        raw_body: bytes | None = None,
    ) -> ApiAnswer:
        """A request through the route table of template.yaml, as API Gateway would deliver it."""
        found = match_route(self.routes, method, path)
        if found is None:
            return ApiAnswer(404, {}, json.dumps({"message": "Missing Authentication Token"}))
        route, params = found
        data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
        query_text = query if isinstance(query, str) else urlencode(query or {})
        event = proxy_event(
            route,
            method=method,
            path=path,
            path_parameters=params,
            query=query_text,
            headers={"content-type": "application/json"} if data else {},
            body=data,
            caller="arn:aws:iam::123456789012:user/test" if route.iam else None,
        )
        answer = self.invoke(route.function, event)
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for key, values in (answer.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = values[0]
        return ApiAnswer(answer["statusCode"], headers, answer.get("body") or "")

    def register_app(self) -> None:
        self.base.create_app(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)


def drain_jobs(stack: StackUnderTest) -> list[Any]:
    """Deliver every queued job to the job worker, as Lambda's SQS event source would."""
    from devstack.queues import drain  # noqa: PLC0415 - keeps the module's imports light for unit tests

    return drain(stack.lambdas, "JobsQueue")
