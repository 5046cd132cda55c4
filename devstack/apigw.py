"""API Gateway (REST, proxy integration) events built from plain requests, as API Gateway would send them."""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from devstack.template import Route


def match_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The template route serving ``method path``, with its path parameters."""
    for route in routes:
        if route.method != method.upper():
            continue
        pattern = "^" + re.sub(r"\\\{([^}/]+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path)) + "$"
        found = re.match(pattern, path)
        if found:
            return route, found.groupdict()
    return None


def _identity(caller: str | None) -> dict[str, Any]:
    """``requestContext.identity`` as API Gateway fills it for a SigV4-signed (IAM) request.

    ``caller`` is the principal's ARN (e.g. ``arn:aws:iam::123456789012:user/local``); None for
    the public route, where API Gateway knows no principal either.
    """
    account = caller.split(":")[4] if caller and caller.count(":") >= 5 else None
    principal = caller.rsplit("/", 1)[-1] if caller else None
    return {
        "userArn": caller,
        "caller": principal,
        "user": principal,
        "accountId": account,
        "accessKey": None,
        "sourceIp": "127.0.0.1",
        "userAgent": None,
    }


def proxy_event(
    route: Route,
    *,
    method: str,
    path: str,
    path_parameters: dict[str, str],
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    caller: str | None = None,
    stage: str = "prod",
) -> dict[str, Any]:
    pairs = parse_qsl(query, keep_blank_values=True)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    try:
        text = body.decode("utf-8")
        encoded = False
    except UnicodeDecodeError:
        text = base64.b64encode(body).decode()
        encoded = True
    hdrs = dict(headers or {})
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": hdrs or None,
        "multiValueHeaders": {k: [v] for k, v in hdrs.items()} or None,
        "queryStringParameters": single or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": _identity(caller),
            "accountId": "123456789012",
            "apiId": "local",
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }
