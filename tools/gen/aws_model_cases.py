#!/usr/bin/env python3
"""Generates tests/unit/aws_model_cases.hpp: for every service in the botocore models, the request
botocore really builds for its first destructive operation (Delete*, Terminate*, Remove*, Purge*,
Drop*, Destroy*, Deregister*) and its first read (Get*, List*, Describe*), with minimal valid
parameters. Nothing is sent: a `before-send` handler records the prepared request and stops.

  python3 tools/gen/aws_model_cases.py     # rewrite the header (run from the repository root)
"""
import datetime
import itertools
import re
import sys
import uuid

import boto3
import botocore
from botocore.config import Config
from botocore.loaders import Loader

OUTPUT = "tests/unit/aws_model_cases.hpp"
DESTRUCTIVE = re.compile(r"^(Delete|Terminate|Remove|Purge|Drop|Destroy|Deregister)[A-Z]")
READ = re.compile(r"^(Get|List|Describe)[A-Z]")
# The same exceptions as the destroy-by-name rule (policy/default-api-rules.toml): not picked
# as "the destructive operation" of a service because the policy allows them on purpose.
EXCEPTED = re.compile(r"^(DeleteMessage|DeleteMessageBatch|DeleteTags|RemoveTags.*|Delete.*Tagging|"
                      r"RemoveTagsFromResource|DeleteChangeSet|DeregisterTargets|"
                      r"DeregisterInstancesFromLoadBalancer|DeregisterTaskDefinition|DeleteBlueGreenDeployment)$")
DROPPED_HEADERS = ("user-agent", "x-amz-date", "amz-sdk-invocation-id", "amz-sdk-request", "x-amz-security-token")


class Captured(Exception):
    pass


def value_for(model, shape_name, depth=0):
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    if kind == "structure":
        out = {}
        if depth > 6:
            return out
        for member in shape.get("required", []):
            out[member] = value_for(model, shape["members"][member]["shape"], depth + 1)
        if shape.get("union") and not out and shape["members"]:
            first = sorted(shape["members"])[0]
            out[first] = value_for(model, shape["members"][first]["shape"], depth + 1)
        return out
    if kind == "list":
        count = shape.get("min", 0)
        return [value_for(model, shape["member"]["shape"], depth + 1) for _ in range(count)]
    if kind == "map":
        return {}
    if kind == "string":
        if "enum" in shape:
            return sorted(shape["enum"])[0]
        return "a" * max(1, shape.get("min", 1))
    if kind in ("integer", "long"):
        return int(shape.get("min", 1))
    if kind in ("float", "double"):
        return float(shape.get("min", 1))
    if kind == "boolean":
        return False
    if kind == "blob":
        return b"a" * max(1, shape.get("min", 1))
    if kind == "timestamp":
        return datetime.datetime(2026, 1, 1)
    raise ValueError(kind)


def snake(name):
    return botocore.xform_name(name)


def capture(session, service, op_name, model):
    client = session.client(service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                            aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                            config=Config(retries={"max_attempts": 0}))
    seen = {}

    def before_send(request, **_):
        seen["request"] = request
        raise Captured()

    client.meta.events.register("before-send", before_send)
    op = model["operations"][op_name]
    params = value_for(model, op["input"]["shape"]) if "input" in op else {}
    try:
        getattr(client, snake(op_name))(**params)
    except Captured:
        pass
    request = seen["request"]
    url = request.url
    target = url.split("://", 1)[1]
    target = target[target.index("/"):] if "/" in target else "/"
    lines = [f"{request.method} {target} HTTP/1.1", "Host: 127.0.0.1:9"]
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    for k, v in request.headers.items():
        if k.lower() in DROPPED_HEADERS or k.lower() in ("content-length", "transfer-encoding", "expect"):
            continue
        if isinstance(v, bytes):
            v = v.decode("latin-1")
        lines.append(f"{k}: {v}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def c_literal(data):
    out = []
    for b in data:
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\r":
            out.append("\\r")
        elif c == "\n":
            out.append("\\n")
        elif 32 <= b < 127 and c != "?":
            out.append(c)
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def deterministic(wire):
    """The same header on every run: fixed idempotency tokens, dates and signatures."""
    wire = re.sub(rb"Credential=([^/]+)/\d{8}/", rb"Credential=\1/20260101/", wire)
    return re.sub(rb"Signature=[0-9a-f]{64}", b"Signature=0", wire)


def main():
    counter = itertools.count()
    uuid.uuid4 = lambda: uuid.UUID(int=next(counter))  # idempotency tokens botocore fills in
    loader = Loader()
    session = boto3.session.Session()
    rows, failed = [], []
    for service in sorted(loader.list_available_services("service-2")):
        model = loader.load_service_model(service, "service-2")
        ops = sorted(model["operations"])
        destructive = next((o for o in ops if DESTRUCTIVE.match(o) and not EXCEPTED.match(o)), None)
        read = next((o for o in ops if READ.match(o)), None)
        for kind, op in (("destroy", destructive), ("read", read)):
            if op is None:
                continue
            try:
                wire = deterministic(capture(session, service, op, model))
            except Exception as e:  # noqa: BLE001 - recorded in the header, counted by the test
                failed.append(f"{service}:{op} ({type(e).__name__}: {str(e)[:80]})")
                continue
            rows.append((service, op, kind, wire))
    out = ["#pragma once",
           f"// Generated by tools/gen/aws_model_cases.py from botocore {botocore.__version__}. Do not edit.",
           "// One destructive and one read operation per service, as botocore builds them.",
           f"// Not built by botocore with minimal parameters ({len(failed)}):"]
    out += [f"//   {f}" for f in failed]
    out += ["#include <string_view>", "", "namespace aws_model_cases {", "",
            "struct Case {", "  const char* model;       // botocore service name",
            "  const char* operation;", "  bool destructive;", "  std::string_view wire;", "};", "",
            f'inline constexpr const char* kBotocoreVersion = "{botocore.__version__}";',
            f"inline constexpr int kNotBuilt = {len(failed)};", "",
            "inline constexpr Case kCases[] = {"]
    for service, op, kind, wire in rows:
        out.append(f'    {{"{service}", "{op}", {"true" if kind == "destroy" else "false"}, '
                   f'std::string_view({c_literal(wire)}, {len(wire)})}},')
    out += ["};", "", "}  // namespace aws_model_cases", ""]
    with open(OUTPUT, "w") as f:
        f.write("\n".join(out))
    print(f"{len(rows)} cases, {len(failed)} not built", file=sys.stderr)


if __name__ == "__main__":
    main()
