"""template.yaml as data: resources, functions, their environment, routes and schedules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref, !Sub, !GetAtt …) as their long forms."""


def _tag(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _short, _long in {
    "Ref": "Ref",
    "Sub": "Fn::Sub",
    "GetAtt": "Fn::GetAtt",
    "Not": "Fn::Not",
    "Equals": "Fn::Equals",
    "If": "Fn::If",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "ImportValue": "Fn::ImportValue",
    "FindInMap": "Fn::FindInMap",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Condition": "Condition",
}.items():
    _CfnLoader.add_constructor(f"!{_short}", _tag(_long))


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    iam: bool


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    module: str
    handler: str
    environment: dict[str, Any] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)
    timeout: int = 30


@dataclass
class Template:
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path = TEMPLATE) -> Template:
        return cls(yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader))  # noqa: S506 - safe subclass

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.data["Resources"])

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == type_name}

    def parameter_defaults(self) -> dict[str, str]:
        return {k: str(v["Default"]) for k, v in self.data.get("Parameters", {}).items() if "Default" in v}

    def functions(self) -> dict[str, FunctionSpec]:
        globals_fn = self.data.get("Globals", {}).get("Function", {})
        global_env = dict(globals_fn.get("Environment", {}).get("Variables", {}))
        specs = {}
        for logical_id, res in self.of_type("AWS::Serverless::Function").items():
            props = res["Properties"]
            module, handler = props["Handler"].rsplit(".", 1)
            env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_dir=ROOT / props["CodeUri"],
                module=module,
                handler=handler,
                environment=env,
                events=dict(props.get("Events", {})),
                timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
            )
        return specs

    def routes(self) -> list[Route]:
        api = next(iter(self.of_type("AWS::Serverless::Api").values()), {})
        default_iam = api.get("Properties", {}).get("Auth", {}).get("DefaultAuthorizer") == "AWS_IAM"
        routes = []
        for fn in self.functions().values():
            for event in fn.events.values():
                if event["Type"] != "Api":
                    continue
                props = event["Properties"]
                authorizer = props.get("Auth", {}).get("Authorizer")
                iam = default_iam if authorizer is None else authorizer == "AWS_IAM"
                routes.append(Route(props["Method"].upper(), props["Path"], fn.logical_id, iam))
        return routes
