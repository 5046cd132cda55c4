"""Issue 12, template side of items 1, 2, 3, 5, 6, 9 and 16, checked on the template as `sam deploy`
expands it (expand.py): alerts that can be delivered, schedules that a second stack can have,
ticks named by their scheduled time with bounded retries, nothing dropped silently, the jobs
queue's visibility timeout, log retention, API throttling, reserved concurrency, access logs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tests.unit.template.expand import expanded_template

TICK_INPUT = {"scheduled_time": "<aws.scheduler.scheduled-time>"}
SCHEDULED_FUNCTIONS = {"ImportScheduleFunction", "ExportScheduleFunction", "TokenKeepaliveFunction"}
# What CloudWatch Logs accepts as RetentionInDays (AWS::Logs::LogGroup).
LOG_RETENTION_VALUES = [
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return expanded_template()


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _ref(value: Any) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a reference: {value!r}")


# --- item 1: alarms reach the topic ---------------------------------------------------------


def test_the_alert_topic_uses_a_rotated_customer_key_cloudwatch_may_use(template: dict[str, Any]):
    topic = template["Resources"]["AlertTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] != "alias/aws/sns"
    key_id = _ref(topic["KmsMasterKeyId"])
    key = template["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    admin = [s for s in statements if s["Principal"] == {"AWS": root} and s["Action"] == "kms:*"]
    assert admin and "Condition" not in admin[0]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    via_sns = [s for s in statements if "kms:ViaService" in s.get("Condition", {}).get("StringEquals", {})]
    assert len(via_sns) == 1 and via_sns[0]["Principal"] == {"AWS": root}
    assert via_sns[0]["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "sns.${AWS::Region}.${AWS::URLSuffix}"
    }
    assert set(via_sns[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_every_alarm_goes_to_the_alert_topic(template: dict[str, Any]):
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 20
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlertTopic"}], name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name


# --- item 2: a second stack in the same account ------------------------------------------------


def test_no_schedule_has_a_fixed_name(template: dict[str, Any]):
    schedules = _of_type(template, "AWS::Scheduler::Schedule")
    assert len(schedules) == 4
    for name, schedule in schedules.items():
        assert "Name" not in schedule["Properties"], f"{name}: CloudFormation must name it per stack"
        assert "GroupName" not in schedule["Properties"], name


def _name(value: Any, stack: str, resources: dict[str, Any]) -> str:
    """A resource's name as CloudFormation makes it: a generated name (of a resource it refers to)
    starts with the stack name; pseudo parameters and parameters are what this stack passes."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        target = str(value["Ref"])
        assert target in resources, f"a name taken from parameter {target} cannot be per stack"
        return f"{stack}-{target}-GENERATED"
    text = value["Fn::Sub"]
    assert isinstance(text, str), value

    def sub(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner == "AWS::StackName":
            return stack
        if inner.split(".")[0] in resources:
            return f"{stack}-{inner}-GENERATED"
        return f"<{inner}>"

    return re.sub(r"\$\{([^}]+)\}", sub, text)


def test_two_stacks_share_no_resource_name():
    """Every name a resource sets differs between two stacks of one account and region."""
    names: list[dict[str, str]] = []
    for stack in ("first-stack", "second-stack"):
        found = {}
        resources = expanded_template({"AWS::StackName": stack})["Resources"]
        for logical_id, res in resources.items():
            for key in (
                "Name",
                "TableName",
                "QueueName",
                "TopicName",
                "AliasName",
                "LogGroupName",
                "FunctionName",
            ):
                value = res.get("Properties", {}).get(key)
                if value is not None and res["Type"] != "AWS::Lambda::EventInvokeConfig":
                    found[f"{res['Type']}:{_name(value, stack, resources)}"] = logical_id
        names.append(found)
    assert len(names[0]) >= 13  # secrets, alias, log groups
    assert not set(names[0]) & set(names[1]), set(names[0]) & set(names[1])


# --- item 3: ticks named by their scheduled time, bounded retries, failures kept -----------------


def test_every_schedule_passes_its_scheduled_time(template: dict[str, Any]):
    for name, schedule in _of_type(template, "AWS::Scheduler::Schedule").items():
        target = schedule["Properties"]["Target"]
        assert json.loads(target["Input"]) == TICK_INPUT, name
        assert target["Input"] == json.dumps(TICK_INPUT), name  # the exact text the code's reader expects
        retry = target["RetryPolicy"]
        assert 0 <= retry["MaximumRetryAttempts"] <= 2, name
        assert retry["MaximumEventAgeInSeconds"] <= 3600, name
        assert _ref(target["DeadLetterConfig"]["Arn"]) == "TickFailureQueue", name


def test_schedule_invoked_functions_retry_a_bounded_number_of_times_then_keep_the_event(
    template: dict[str, Any],
):
    configs = _of_type(template, "AWS::Lambda::EventInvokeConfig")
    by_function = {_ref(c["Properties"]["FunctionName"]): c["Properties"] for c in configs.values()}
    assert set(by_function) == SCHEDULED_FUNCTIONS
    for function, config in by_function.items():
        assert config["MaximumRetryAttempts"] == 2, function
        destination = _ref(config["DestinationConfig"]["OnFailure"]["Destination"])
        queue = template["Resources"][destination]
        assert queue["Type"] == "AWS::SQS::Queue", function
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, function
        assert _queue_is_alarmed(template, destination), function


def _queue_is_alarmed(template: dict[str, Any], queue: str) -> bool:
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        if (
            props["Namespace"] == "AWS/SQS"
            and props["MetricName"] == "ApproximateNumberOfMessagesVisible"
            and dims.get("QueueName") == {"Fn::GetAtt": [queue, "QueueName"]}
            and props["Threshold"] == 0
            and props["ComparisonOperator"] == "GreaterThanThreshold"
        ):
            return True
    return False


# --- item 5: nothing dropped silently -------------------------------------------------------------


def test_the_stream_keeps_what_it_gives_up_on_and_is_alarmed(template: dict[str, Any]):
    mapping = template["Resources"]["OrderChangeFunctionOrderChanges"]["Properties"]
    assert mapping["MaximumRetryAttempts"] <= 10
    destination = _ref(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    assert template["Resources"][destination]["Properties"]["SqsManagedSseEnabled"] is True
    assert _queue_is_alarmed(template, destination)
    ages = [
        a["Properties"]
        for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "IteratorAge"
    ]
    assert len(ages) == 1
    assert ages[0]["Namespace"] == "AWS/Lambda"
    assert ages[0]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "OrderChangeFunction"}}]
    assert 0 < ages[0]["Threshold"] <= 15 * 60 * 1000  # milliseconds


def test_every_function_has_an_errors_and_a_throttles_alarm(template: dict[str, Any]):
    functions = set(_of_type(template, "AWS::Lambda::Function"))
    assert len(functions) == 9
    for metric in ("Errors", "Throttles"):
        alarmed = {
            _ref(a["Properties"]["Dimensions"][0]["Value"])
            for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
            if a["Properties"]["Namespace"] == "AWS/Lambda" and a["Properties"]["MetricName"] == metric
        }
        assert alarmed == functions, metric


def test_the_dead_letter_queue_stays_alarmed(template: dict[str, Any]):
    assert _queue_is_alarmed(template, "JobsDeadLetterQueue")


# --- item 6: a job is not delivered again while a worker may still run it ------------------------


def test_the_jobs_queue_visibility_is_six_times_the_workers_timeout(template: dict[str, Any]):
    worker = template["Resources"]["JobWorkerFunction"]["Properties"]
    queue = template["Resources"]["JobsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["VisibilityTimeout"] <= 43200  # SQS's maximum
    mapping = template["Resources"]["JobWorkerFunctionJobs"]["Properties"]
    assert _ref(mapping["EventSourceArn"]) == "JobsQueue"


def test_the_job_workers_concurrency_is_bounded_by_a_parameter(template: dict[str, Any]):
    """Issue 15: 10,000 jobs queued at once never become 10,000 workers."""
    parameter = template["Parameters"]["JobWorkerMaxConcurrency"]
    assert (int(parameter["MinValue"]), int(parameter["MaxValue"])) == (2, 1000)  # Lambda's range
    assert int(parameter["Default"]) == 20
    mapping = template["Resources"]["JobWorkerFunctionJobs"]["Properties"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "JobWorkerMaxConcurrency"}}
    queue = template["Resources"]["JobsQueue"]["Properties"]  # high-throughput FIFO: per shop
    assert (queue["DeduplicationScope"], queue["FifoThroughputLimit"]) == (
        "messageGroup",
        "perMessageGroupId",
    )


# --- item 9: logs expire; one stage only ------------------------------------------------------


def test_every_function_has_a_log_group_kept_log_retention_days(template: dict[str, Any]):
    parameter = template["Parameters"]["LogRetentionDays"]
    assert str(parameter["Default"]) == "90"
    assert [int(v) for v in parameter["AllowedValues"]] == LOG_RETENTION_VALUES
    groups = _of_type(template, "AWS::Logs::LogGroup")
    named = {}
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        named[json.dumps(group["Properties"]["LogGroupName"])] = name
    for function in _of_type(template, "AWS::Lambda::Function"):
        assert json.dumps({"Fn::Sub": f"/aws/lambda/${{{function}}}"}) in named, function


def test_the_api_has_only_its_prod_stage(template: dict[str, Any]):
    stages = _of_type(template, "AWS::ApiGateway::Stage")
    assert [s["Properties"]["StageName"] for s in stages.values()] == ["prod"]
    # A deployment with a StageName makes that stage too (SAM's "Stage", unless OpenApiVersion is set).
    for name, deployment in _of_type(template, "AWS::ApiGateway::Deployment").items():
        assert "StageName" not in deployment["Properties"], name


# --- item 16 (template side): throttling, reserved concurrency, access logs ----------------------


def _stage(template: dict[str, Any]) -> dict[str, Any]:
    (stage,) = _of_type(template, "AWS::ApiGateway::Stage").values()
    return dict(stage["Properties"])


def test_methods_are_throttled_and_the_public_callback_more_strictly(template: dict[str, Any]):
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in _stage(template)["MethodSettings"]}
    default = settings[("/*", "*")]
    callback = settings[("/~1oauth~1callback", "GET")]
    assert 0 < default["ThrottlingRateLimit"] <= 100 and 0 < default["ThrottlingBurstLimit"] <= 200
    assert 0 < callback["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    assert 0 < callback["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
    assert not any(s.get("DataTraceEnabled") for s in settings.values())  # would log the OAuth code


def test_the_callback_has_a_small_reserved_concurrency(template: dict[str, Any]):
    reserved = template["Resources"]["OAuthCallbackFunction"]["Properties"]["ReservedConcurrentExecutions"]
    parameter = template["Parameters"]["CallbackReservedConcurrency"]
    assert 1 <= int(parameter["Default"]) <= 10
    condition = reserved["Fn::If"][0]
    assert reserved == {
        "Fn::If": [condition, {"Ref": "CallbackReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    assert template["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CallbackReservedConcurrency"}, 0]}]
    }


def test_access_logs_record_who_called_what(template: dict[str, Any]):
    access = _stage(template)["AccessLogSetting"]
    group = template["Resources"][_ref(access["DestinationArn"])]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    fields = json.loads(access["Format"])  # one JSON object per request
    values = set(fields.values())
    for variable in (
        "$context.identity.userArn",
        "$context.identity.caller",
        "$context.requestId",
        "$context.identity.sourceIp",
        "$context.httpMethod",
        "$context.path",
        "$context.status",
        "$context.responseLatency",
    ):
        assert variable in values, variable
    assert not any("querystring" in v.lower() or "requestOverride" in v for v in values)


def test_the_account_logging_role_is_set_only_when_asked_and_outlives_the_stack(template: dict[str, Any]):
    parameter = template["Parameters"]["ApiGatewayLogsRole"]
    assert parameter["AllowedValues"] == ["create", "existing"]
    account = template["Resources"]["ApiGatewayAccount"]
    role = template["Resources"]["ApiGatewayLogsRoleForAccount"]
    assert account["Condition"] == role["Condition"]
    assert role["DeletionPolicy"] == "Retain"
    tag = template["Resources"]["ApiAccessLogGroup"]["Properties"]["Tags"][0]["Value"]
    assert tag == {"Fn::If": [account["Condition"], {"Ref": "ApiGatewayAccount"}, "existing"]}
