"""Item 12: every function's role, as deployed, grants exactly what its code calls.

template.yaml is expanded as ``sam deploy`` expands it (SAM CLI's parser and aws-sam-translator,
see expand.py): policy templates, event-source policies and destinations become the statements
CloudFormation will create. Every role's grants are then compared, resource by resource, with
NEEDS below, which is read off the code (dal/*.py, services/*.py, aws.py and the handlers):

- a DynamoDB action is listed only where a repository method the function can reach calls it
  (``put_item`` with a condition is still PutItem; a Query with ``IndexName`` is on the index);
- Secrets Manager: ``app-credentials`` holds the redirect URI, ``app-client-secret`` the client
  secret (read by every function that calls BASE with the app's credentials; POST /connect
  builds the authorize URL without it); ``shops/*`` are the shops' token pairs;
- the alert topic is encrypted with AlertKey: a publisher needs GenerateDataKey*/Decrypt on it.

Managed policies are listed by name (SAM adds them: logs, X-Ray for Tracing: Active, and the
pollers of the SQS and DynamoDB-stream event sources).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.unit.template.expand import ROOT, expanded_template

BASIC = "service-role/AWSLambdaBasicExecutionRole"
XRAY = "AWSXrayWriteOnlyAccess"
SQS_POLLER = "service-role/AWSLambdaSQSQueueExecutionRole"
STREAM_READER = "service-role/AWSLambdaDynamoDBExecutionRole"

APP_CREDENTIALS = "secret:app-credentials-*"
APP_CLIENT_SECRET = "secret:app-client-secret-*"
SHOP_SECRETS = "secret:shops/*"
ALERTS = {"AlertTopic": {"sns:Publish"}, "AlertKey": {"kms:GenerateDataKey*", "kms:Decrypt"}}
APP = {
    APP_CREDENTIALS: {"secretsmanager:GetSecretValue"},
    APP_CLIENT_SECRET: {"secretsmanager:GetSecretValue"},
}
# A refresh reads the pair, stores the new one; CreateSecret when the pair was read under a shop's
# legacy secret name and is stored under the new one (dal/secrets.py put_shop_tokens).
TICK = {  # services/schedule.queue_scheduled_jobs, import and export alike
    "ShopsTable/index/by_status": {"dynamodb:Query"},  # ShopRepository.connected
    # TickRepository: begin/advance/finish/let_go, state, the resume point
    "LocksTable": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"},
    "JobsQueue": {"sqs:SendMessage"},  # enqueue_many: SendMessageBatch
    "TickFailureQueue": {"sqs:SendMessage"},
}
REFRESH = {
    SHOP_SECRETS: {
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:CreateSecret",
    },
    "LocksTable": {"dynamodb:PutItem", "dynamodb:DeleteItem"},  # lease acquire/release, marker put/clear
}

NEEDS: dict[str, dict[str, Any]] = {
    "ConnectFunction": {  # services/connect.start_connect
        "managed": {BASIC, XRAY},
        "grants": {
            "OAuthStatesTable": {"dynamodb:PutItem"},  # OAuthStateRepository.create
            APP_CREDENTIALS: {"secretsmanager:GetSecretValue"},  # authorize_client: no client secret
        },
    },
    "OAuthCallbackFunction": {  # services/connect.complete_connect
        "managed": {BASIC, XRAY},
        "grants": {
            "OAuthStatesTable": {"dynamodb:UpdateItem", "dynamodb:GetItem"},  # consume, _why_rejected
            "ShopsTable": {"dynamodb:UpdateItem"},  # record_connected
            **APP,
            # shop_secret_exists, put_shop_tokens (put, or create on first connection); never a read
            SHOP_SECRETS: {
                "secretsmanager:DescribeSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:CreateSecret",
            },
        },
    },
    "TokenKeepaliveFunction": {  # services/keepalive + TokenProvider (MAY_REFRESH)
        "managed": {BASIC, XRAY},
        "grants": {
            # list; get, record_tokens_refreshed, mark_needs_reauth
            "ShopsTable": {"dynamodb:Scan", "dynamodb:GetItem", "dynamodb:UpdateItem"},
            **APP,
            **REFRESH,
            **ALERTS,
            "TickFailureQueue": {"sqs:SendMessage"},  # EventInvokeConfig on-failure destination
        },
    },
    "ManagementApiFunction": {  # services/management
        "managed": {BASIC, XRAY},
        "grants": {
            "ShopsTable": {
                "dynamodb:Scan",
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
            },  # list, get, put_settings
            # get, page-token check, save; a shipments file: get_many, save_all (TransactWriteItems
            # of conditional puts is authorised as PutItem)
            "OrdersTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"},
            "OrdersTable/index/by_ordered": {"dynamodb:Query"},  # list
            "JobsQueue": {"sqs:SendMessage"},  # queue_import
        },
    },
    "ImportScheduleFunction": {  # services/schedule.queue_scheduled_jobs (import)
        "managed": {BASIC, XRAY},
        "grants": {
            **TICK,
        },
    },
    "JobWorkerFunction": {  # services/worker: importer, exporter, TokenProvider (MAY_REFRESH)
        "managed": {BASIC, XRAY, SQS_POLLER},
        "grants": {
            # get; put_run_summary, record_tokens_refreshed, mark_needs_reauth
            "ShopsTable": {"dynamodb:GetItem", "dynamodb:UpdateItem"},
            "OrdersTable": {
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:PutItem",
            },  # get, get_many, create/save
            "OrdersTable/index/ready": {"dynamodb:Query"},  # export_candidates -> ready
            "OrdersTable/index/open": {"dynamodb:Query"},  # importer: open_orders
            "ExportsTable": {
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
            },  # get_run (+ pages), put
            **APP,
            **REFRESH,
            **ALERTS,
        },
    },
    "ExportApiFunction": {  # services/exports: queue (no dedup id: no mark_enqueued), plan, get, log
        "managed": {BASIC, XRAY},
        "grants": {
            "ShopsTable": {"dynamodb:GetItem", "dynamodb:Scan"},
            "OrdersTable": {"dynamodb:BatchGetItem"},  # dry run of the orders asked for
            "OrdersTable/index/ready": {"dynamodb:Query"},  # dry run of every ready order
            "ExportsTable": {"dynamodb:PutItem", "dynamodb:Query"},  # create; get (run and pages)
            "ExportsTable/index/by_shop": {"dynamodb:Query"},  # log
            "JobsQueue": {"sqs:SendMessage"},
            **APP,  # dry run: BASE's delivery companies with the shop's token
            SHOP_SECRETS: {"secretsmanager:GetSecretValue"},  # API paths never refresh (no lease, no write)
        },
    },
    "ExportScheduleFunction": {  # services/schedule.queue_scheduled_jobs (export)
        "managed": {BASIC, XRAY},
        "grants": {
            **TICK,
        },
    },
    "OrderChangeFunction": {  # services/changes.queue_change_exports -> queue_for_shop
        "managed": {BASIC, XRAY, STREAM_READER},
        "grants": {
            "ShopsTable": {"dynamodb:GetItem"},
            "ExportsTable": {"dynamodb:PutItem", "dynamodb:UpdateItem"},
            "JobsQueue": {"sqs:SendMessage"},
            "StreamFailureQueue": {"sqs:SendMessage"},  # the event source's on-failure destination
        },
    },
}

# Roles that are not a function's: the schedules' (invoke their function, dead letters) and the
# account's API Gateway logging role.
OTHER_ROLES = {
    "ImportScheduleFunctionTickRole": {"ImportScheduleFunction": {"lambda:InvokeFunction"}},
    "ExportScheduleFunctionTickRole": {"ExportScheduleFunction": {"lambda:InvokeFunction"}},
    "ExportScheduleFunctionReleaseDeferredRole": {"ExportScheduleFunction": {"lambda:InvokeFunction"}},
    "TokenKeepaliveFunctionDailyRole": {"TokenKeepaliveFunction": {"lambda:InvokeFunction"}},
}

_PREFIXES = {
    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${AWS::StackName}/": "secret:",
    "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/": "",
    "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:": "",
    "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:": "",
}


def _resource(value: Any) -> str:
    """A resource as a short name: ``ShopsTable``, ``OrdersTable/index/ready``, ``secret:shops/*``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return str(arg)
        if key == "Fn::GetAtt":
            name, attr = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return str(name) if attr in ("Arn", "TopicName", "QueueName") else f"{name}.{attr}"
        if key == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            names = {k: _resource(v) for k, v in local.items()}

            def sub(match: re.Match[str]) -> str:
                inner = match.group(1)
                if inner in names:
                    return names[inner]
                if inner.endswith(".Arn"):
                    return inner.removesuffix(".Arn")
                return match.group(0)

            text = re.sub(r"\$\{([^}]+)\}", sub, str(text))
            for prefix, short in _PREFIXES.items():
                if text.startswith(prefix):
                    return short + text.removeprefix(prefix)
            return text
    raise AssertionError(f"a policy resource this test cannot name: {value!r}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(role: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in _as_list(policy["PolicyDocument"]["Statement"]):
            assert statement["Effect"] == "Allow", statement
            assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), statement
            for resource in _as_list(statement["Resource"]):
                found.setdefault(_resource(resource), set()).update(
                    str(a) for a in _as_list(statement["Action"])
                )
    return found


def _managed(role: dict[str, Any]) -> set[str]:
    names = set()
    for arn in role["Properties"].get("ManagedPolicyArns", []):
        text = _resource(arn)
        for prefix in ("arn:aws:iam::aws:policy/", "arn:${AWS::Partition}:iam::aws:policy/"):
            text = text.removeprefix(prefix)
        names.add(text)
    return names


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(expanded_template()["Resources"])


def _role_of(resources: dict[str, Any], function: str) -> dict[str, Any]:
    role_arn = resources[function]["Properties"]["Role"]
    assert role_arn["Fn::GetAtt"][1] == "Arn", role_arn
    return dict(resources[role_arn["Fn::GetAtt"][0]])


def test_the_table_names_every_function_of_the_template_and_every_handler():
    functions = {
        k for k, v in expanded_template()["Resources"].items() if v["Type"] == "AWS::Lambda::Function"
    }
    assert functions == set(NEEDS)
    handlers = {p.parent.name for p in (ROOT / "functions").glob("*/*.py")}
    assert len(handlers) == len(NEEDS)


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_each_function_is_granted_exactly_what_its_code_calls(resources: dict[str, Any], function: str):
    role = _role_of(resources, function)
    granted = _grants(role)
    expected = NEEDS[function]["grants"]
    missing = {r: sorted(a - granted.get(r, set())) for r, a in expected.items() if a - granted.get(r, set())}
    extra = {r: sorted(a - expected.get(r, set())) for r, a in granted.items() if a - expected.get(r, set())}
    assert not missing, f"{function} lacks what its code calls: {missing}"
    assert not extra, f"{function} is granted what its code never calls: {extra}"
    assert _managed(role) == NEEDS[function]["managed"], function


def test_the_public_callback_cannot_read_any_token_nor_touch_other_tables(resources: dict[str, Any]):
    granted = _grants(_role_of(resources, "OAuthCallbackFunction"))
    assert "secretsmanager:GetSecretValue" not in granted.get(SHOP_SECRETS, set())
    assert set(granted) <= {
        "OAuthStatesTable",
        "ShopsTable",
        APP_CREDENTIALS,
        APP_CLIENT_SECRET,
        SHOP_SECRETS,
    }
    assert not any(
        a in {"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:Query"}
        for a in set().union(*granted.values())
    )


def test_api_functions_never_write_a_token_nor_take_a_lease(resources: dict[str, Any]):
    for function in ("ConnectFunction", "ManagementApiFunction", "ExportApiFunction"):
        granted = _grants(_role_of(resources, function))
        assert granted.get(SHOP_SECRETS, set()) <= {"secretsmanager:GetSecretValue"}, function
        assert "LocksTable" not in granted, function
        assert "AlertTopic" not in granted, function


def test_the_other_roles_only_invoke_their_function_and_dead_letter(resources: dict[str, Any]):
    roles = {k: v for k, v in resources.items() if v["Type"] == "AWS::IAM::Role"}
    function_roles = {resources[f]["Properties"]["Role"]["Fn::GetAtt"][0] for f in NEEDS}
    for name, role in roles.items():
        if name in function_roles:
            continue
        if name == "ApiGatewayLogsRoleForAccount":
            assert _managed(role) == {"service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
            assert not role["Properties"].get("Policies")
            continue
        assert name in OTHER_ROLES, f"a role this test does not know: {name}"
        expected = {**OTHER_ROLES[name], "TickFailureQueue": {"sqs:SendMessage"}}
        assert _grants(role) == expected, name
        assert not role["Properties"].get("ManagedPolicyArns"), name


def test_no_sam_policy_template_is_left_in_the_source():
    """Policy templates grant whole groups of actions; the source uses explicit statements only."""
    text = Path(ROOT / "template.yaml").read_text(encoding="utf-8")
    assert not re.search(r"^\s*- \w+Policy:", text, re.MULTILINE)
