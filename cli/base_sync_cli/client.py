"""The HTTP client of base-order-sync's API: SigV4-signed for a deployed stack, plain for the local run."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
DEFAULT_TIMEOUT_S = 60.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ApiError(Exception):
    """The API answered with an error (or not at all: status 0)."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, Any] | None = None, body: Any = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.body = body  # the whole answer, where there was one (e.g. a refused file's lines)

    def describe(self) -> str:
        """``<code>: <message>``; for a 422, ``<code>:`` and one ``  field: reason`` line per field
        (its message only repeats them)."""
        lines = [f"{self.code}:" if self.fields else f"{self.code}: {self.message}"]
        lines += [f"  {name}: {reason}" for name, reason in self.fields.items()]
        return "\n".join(lines)


def api_path(*segments: str) -> str:
    """``/seg1/seg2/...`` with every segment percent-encoded (``/``, ``?``, ``#``, ``%`` included).

    The one place URL paths are built: a shop id or order key can never add, climb out of or
    replace a path segment. A segment that is empty, ``.`` or ``..`` (which HTTP clients and
    servers collapse) is refused.
    """
    parts: list[str] = []
    for segment in segments:
        if segment in {"", ".", ".."}:
            raise ApiError(
                0,
                "invalid_path_segment",
                f"URL のパスに使えない値です: {segment!r} / not usable as a URL path segment: {segment!r}",
            )
        parts.append(quote(segment, safe=""))
    return "/" + "/".join(parts)


def is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def region_from_url(url: str) -> str | None:
    """``abc.execute-api.ap-northeast-1.amazonaws.com`` -> ``ap-northeast-1``."""
    parts = (urlsplit(url).hostname or "").split(".")
    if len(parts) >= 4 and parts[1] == "execute-api":
        return parts[2]
    return None


def stack_api_url(stack_name: str, region: str | None = None) -> str:
    """The ``ApiUrl`` output of a deployed CloudFormation stack."""
    import boto3  # noqa: PLC0415 - only needed with --stack

    cfn = boto3.client("cloudformation", region_name=region)
    stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    for output in stacks[0].get("Outputs", []):
        if output.get("OutputKey") == "ApiUrl":
            return str(output["OutputValue"])
    raise LookupError(f"stack {stack_name} has no ApiUrl output")


class Signer:
    """Signs requests with SigV4 for API Gateway (service ``execute-api``), credentials from botocore's chain."""

    def __init__(self, region: str, credentials: Any = None) -> None:
        if credentials is None:
            import botocore.session  # noqa: PLC0415

            credentials = botocore.session.Session().get_credentials()
            if credentials is None:
                raise ApiError(
                    0, "no_credentials", "no AWS credentials found (profile, environment or instance role)"
                )
        self.region = region
        self.credentials = credentials

    def headers(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth  # noqa: PLC0415
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415

        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        SigV4Auth(self.credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(request)
        return {k: str(v) for k, v in request.headers.items()}


class ApiClient:
    """One method per route of the contract; every error raises :class:`ApiError`."""

    def __init__(
        self,
        api_url: str,
        *,
        signer: Signer | None = None,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.signer = signer
        self.session = session or requests.Session()
        self.timeout = timeout

    @classmethod
    def for_url(cls, api_url: str, *, region: str | None = None, sign: bool | None = None) -> ApiClient:
        """Signed unless the URL is on this machine (``sign`` forces either way)."""
        if sign is None:
            sign = not is_local(api_url)
        signer = None
        if sign:
            found_region = region or region_from_url(api_url)
            if found_region is None:
                import botocore.session  # noqa: PLC0415

                found_region = botocore.session.Session().get_config_variable("region")
            if not found_region:
                raise ApiError(0, "no_region", "cannot tell the API's region; pass --region")
            signer = Signer(found_region)
        return cls(api_url, signer=signer)

    # -- plumbing
    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self.api_url + path + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        headers = {"Accept": "application/json"}
        if body is not None or method in UNSAFE_METHODS:
            # The API takes only JSON on the routes that change something (a cross-site form post
            # cannot send it); we say so even on a POST without a body.
            headers["Content-Type"] = "application/json"
        if self.signer is not None:
            headers = self.signer.headers(method, url, data, headers)
        try:
            answer = self.session.request(
                method, url, data=data or None, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ApiError(0, "unreachable", f"{method} {url}: {exc}") from exc
        try:
            payload: Any = answer.json() if answer.content else None
        except ValueError:
            payload = None
        if answer.status_code >= 400:
            if isinstance(payload, dict):
                code = str(payload.get("error") or f"http_{answer.status_code}")
                message = str(payload.get("message") or answer.reason)
                fields = payload.get("fields") if isinstance(payload.get("fields"), dict) else None
            else:
                code, message, fields = f"http_{answer.status_code}", answer.text[:300] or answer.reason, None
            raise ApiError(answer.status_code, code, message, fields, payload)
        return payload

    # -- routes
    def connect(self) -> dict[str, Any]:
        return dict(self.request("POST", api_path("connect")))

    def shops(self) -> list[dict[str, Any]]:
        return list(self.request("GET", api_path("shops"))["shops"])

    def get_settings(self, shop_id: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("shops", shop_id, "settings")))

    def put_settings(self, shop_id: str, settings: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PUT", api_path("shops", shop_id, "settings"), body=settings))

    def list_orders(
        self,
        shop_id: str,
        *,
        status: str | None = None,
        export_state: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
        deadline_within_days: int | None = None,
    ) -> dict[str, Any]:
        params = {
            "status": status,
            "export_state": export_state,
            "limit": limit,
            "next_token": next_token,
            "deadline_within_days": deadline_within_days,
        }
        return dict(self.request("GET", api_path("shops", shop_id, "orders"), params=params))

    def all_orders(
        self,
        shop_id: str,
        *,
        status: str | None = None,
        export_state: str | None = None,
        deadline_within_days: int | None = None,
    ) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.list_orders(
                shop_id,
                status=status,
                export_state=export_state,
                next_token=token,
                deadline_within_days=deadline_within_days,
            )
            orders.extend(page.get("orders", []))
            token = page.get("next_token")
            if not token:
                return orders

    def get_order(self, shop_id: str, unique_key: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("shops", shop_id, "orders", unique_key)))

    def patch_order(self, shop_id: str, unique_key: str, changes: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("PATCH", api_path("shops", shop_id, "orders", unique_key), body=changes))

    def queue_import(self, shop_id: str) -> dict[str, Any]:
        return dict(self.request("POST", api_path("shops", shop_id, "imports")))

    def create_export(
        self, *, shop_id: str | None = None, order_keys: list[str] | None = None, dry_run: bool = False
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"dry_run": dry_run}
        if shop_id is not None:
            body["shop_id"] = shop_id
        if order_keys:
            body["order_keys"] = order_keys
        return dict(self.request("POST", api_path("exports"), body=body))

    def get_export(self, export_id: str) -> dict[str, Any]:
        return dict(self.request("GET", api_path("exports", export_id)))

    def list_exports(self, shop_id: str) -> list[dict[str, Any]]:
        """The processing log, newest first (accepts a bare list or the first list in an object)."""
        payload = self.request("GET", api_path("exports"), params={"shop_id": shop_id})
        if isinstance(payload, list):
            return payload
        if isinstance(payload, dict):
            for key in ("exports", "runs", "items", "log"):
                if isinstance(payload.get(key), list):
                    return list(payload[key])
            for value in payload.values():
                if isinstance(value, list):
                    return value
        return []
