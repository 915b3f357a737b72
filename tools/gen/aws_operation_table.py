#!/usr/bin/env python3
"""Generates core/http/aws_operation_table.cpp from the botocore service models.

Every service botocore knows (its newest API version): protocol, signing name, endpoint prefix,
X-Amz-Target prefix, API version (query services: the `Version=` form field), and for the REST
protocols every operation's route: HTTP method, URI template (`{x}` one segment, `{x+}` the rest),
the query keys the template or a required member puts on the wire, and the headers a required
member puts there (S3 CopyObject is PutObject's route plus `x-amz-copy-source`).

The output holds no pointers (no relocations in the preload) and is deterministic: every list is
sorted, and ids are assigned by frequency, then by text. Names (operation words, path segments,
service names) are one NUL-separated pool; a route is a few varint ids into it.

  python3 tools/gen/aws_operation_table.py            # rewrite the table
  python3 tools/gen/aws_operation_table.py --check F  # exit 1 if F differs from a fresh generation
"""
import argparse
import collections
import re
import sys

import botocore
from botocore.loaders import Loader

OUTPUT = "core/http/aws_operation_table.cpp"
METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"]
PROTOCOLS = ["unknown", "query", "ec2", "json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor"]
LABEL, GREEDY = "{}", "{+}"  # atom ids 0 and 1
WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+")


def split_words(name):
    words = WORD.findall(name)
    if "".join(words) != name:
        raise SystemExit(f"operation name {name!r} does not split into words")
    return words


def route_of(model, op):
    http = op["http"]
    path, _, query = http["requestUri"].partition("?")
    segments = []
    for seg in path.split("/"):
        if not seg:
            continue
        if re.fullmatch(r"\{[^}]+\+\}", seg):
            segments.append(GREEDY)
        elif re.fullmatch(r"\{[^}]+\}", seg):
            segments.append(LABEL)
        elif "{" in seg or "}" in seg:
            raise SystemExit(f"mixed URI segment {seg!r}: the matcher does not handle it")
        else:
            segments.append(seg)
    conditions = set()
    for part in query.split("&") if query else []:
        key, _, value = part.partition("=")
        conditions.add((key, value))
    headers = set()
    shape_name = op.get("input", {}).get("shape")
    if shape_name:
        shape = model["shapes"][shape_name]
        for member in shape.get("required", []):
            spec = shape["members"][member]
            kind = model["shapes"][spec["shape"]]["type"]
            if spec.get("location") == "querystring" and kind in ("list", "map"):
                continue  # an empty list or map is not sent at all
            if spec.get("location") == "querystring":
                conditions.add((spec.get("locationName", member), ""))
            elif spec.get("location") == "header":
                headers.add(spec.get("locationName", member).lower())
    # {} and {+} never appear in query keys/values or headers
    return {
        "method": http["method"],
        "segments": segments,
        "query": sorted(conditions),
        "headers": sorted(headers),
    }


def load_services():
    loader = Loader()
    services = []
    for name in sorted(loader.list_available_services("service-2")):
        model = loader.load_service_model(name, "service-2")
        meta = model["metadata"]
        protocol = meta["protocol"]
        if protocol not in PROTOCOLS:
            raise SystemExit(f"{name}: unknown protocol {protocol}")
        protocols = meta.get("protocols", [protocol])
        svc = {
            "name": name,
            "signing": meta.get("signingName", meta["endpointPrefix"]),
            "endpoint": meta["endpointPrefix"],
            "protocol": protocol,
            "protocol_mask": sum(1 << PROTOCOLS.index(p) for p in protocols if p in PROTOCOLS),
            "target": meta.get("targetPrefix", ""),
            "version": meta["apiVersion"] if protocol in ("query", "ec2") or "query" in protocols else "",
            "routes": [],
            "operations": sorted(model["operations"]),
        }
        if protocol in ("rest-json", "rest-xml"):
            # Operations with the very same route (S3 GetBucketLifecycle and its successor
            # GetBucketLifecycleConfiguration) cannot be told apart on the wire: one row stands
            # for them, the one not deprecated, then the shortest name, then the first by name.
            by_route = {}
            for op_name in sorted(model["operations"]):
                op = model["operations"][op_name]
                route = route_of(model, op)
                key = (route["method"], tuple(route["segments"]), tuple(route["query"]), tuple(route["headers"]))
                rank = (bool(op.get("deprecated")), len(op_name), op_name)
                if key not in by_route or rank < by_route[key][0]:
                    by_route[key] = (rank, op_name, route)
            for _, op_name, route in sorted(by_route.values(), key=lambda v: v[1]):
                route["words"] = split_words(op_name)
                route["name"] = op_name
                svc["routes"].append(route)
        services.append(svc)
    return services


def varint(n):
    out = []
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return out


def generate():
    services = load_services()
    counts = collections.Counter()
    for svc in services:
        for key in ("name", "signing", "endpoint", "target", "version"):
            counts[svc[key]] += 1
        for r in svc["routes"]:
            counts.update(s for s in r["segments"] if s not in (LABEL, GREEDY))
            for k, v in r["query"]:
                counts[k] += 1
                counts[v] += 1
            counts.update(r["headers"])
            counts.update(r["words"])
    counts.pop("", None)
    atoms = [LABEL, GREEDY, ""] + sorted(counts, key=lambda a: (-counts[a], a))
    atom_id = {a: i for i, a in enumerate(atoms)}
    empty = atom_id[""]

    routes = bytearray()
    service_rows = []
    route_total = 0
    for svc in services:
        begin = len(routes)
        for r in svc["routes"]:
            if len(r["segments"]) > 255 or len(r["query"]) > 255 or len(r["words"]) > 255:
                raise SystemExit("route too long")
            routes.append(METHODS.index(r["method"]))
            routes.append(len(r["segments"]))
            for s in r["segments"]:
                routes.extend(varint(atom_id[s]))
            routes.append(len(r["query"]))
            for k, v in r["query"]:
                routes.extend(varint(atom_id[k]))
                routes.extend(varint(atom_id[v] if v else empty))
            routes.append(len(r["headers"]))
            for h in r["headers"]:
                routes.extend(varint(atom_id[h]))
            routes.append(len(r["words"]))
            for w in r["words"]:
                routes.extend(varint(atom_id[w]))
        route_total += len(svc["routes"])
        service_rows.append((atom_id[svc["name"]], atom_id[svc["signing"]], atom_id[svc["endpoint"]],
                             atom_id[svc["target"]] if svc["target"] else empty,
                             atom_id[svc["version"]] if svc["version"] else empty,
                             PROTOCOLS.index(svc["protocol"]), svc["protocol_mask"],
                             begin, len(routes) - begin, len(svc["routes"])))

    pool = bytearray()
    offsets = []
    for a in atoms:
        offsets.append(len(pool))
        pool.extend(a.encode("ascii"))
        pool.append(0)
    if len(pool) >= 1 << 24 or len(routes) >= 1 << 32:
        raise SystemExit("table too large for its fields")
    op_total = sum(len(s["operations"]) for s in services)

    out = []
    w = out.append
    w("// Generated by tools/gen/aws_operation_table.py from the botocore service models. Do not edit:")
    w("// rerun the script (a ctest compares this file with a fresh generation).")
    w(f"// botocore {botocore.__version__}: {len(services)} services, {op_total} operations, "
      f"{route_total} REST routes, {len(atoms)} names.")
    w('#include "core/http/aws_operation_table.hpp"')
    w("")
    w("namespace agentguard::core::http::model {")
    w("")
    w(f'const char kBotocoreVersion[] = "{botocore.__version__}";')
    w(f"const std::uint32_t kServiceCount = {len(services)};")
    w(f"const std::uint32_t kAtomCount = {len(atoms)};")
    w(f"const std::uint32_t kOperationCount = {op_total};")
    w("")
    w("// Every name, NUL-terminated, by id.")
    w(f"const char kAtomPool[{len(pool)}] = {{")
    line = []
    for b in pool:
        line.append(str(b))
        if len(line) == 40:
            w("    " + ",".join(line) + ",")
            line = []
    if line:
        w("    " + ",".join(line) + ",")
    w("};")
    w(f"// Start of each name in kAtomPool (3 bytes, little-endian).")
    w(f"const std::uint8_t kAtomOffsets[{3 * len(offsets)}] = {{")
    line = []
    for o in offsets:
        line.extend(str(x) for x in (o & 0xFF, (o >> 8) & 0xFF, o >> 16))
        if len(line) >= 45:
            w("    " + ",".join(line) + ",")
            line = []
    if line:
        w("    " + ",".join(line) + ",")
    w("};")
    w("")
    w("// Routes of the REST services, see aws_operation_table.hpp for the encoding.")
    w(f"const std::uint8_t kRoutes[{max(1, len(routes))}] = {{")
    line = []
    for b in routes:
        line.append(str(b))
        if len(line) == 40:
            w("    " + ",".join(line) + ",")
            line = []
    if line:
        w("    " + ",".join(line) + ",")
    w("};")
    w("")
    w("// name, signing name, endpoint prefix, target prefix, API version, protocol, protocols,")
    w("// first route byte, route bytes, route count")
    w(f"const Service kServices[{len(services)}] = {{")
    for row, svc in zip(service_rows, services):
        w("    {" + ", ".join(str(x) for x in row) + "},  // " + svc["name"])
    w("};")
    w("")
    w("}  // namespace agentguard::core::http::model")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", metavar="FILE", help="compare FILE with a fresh generation")
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args()
    text = generate()
    if args.check:
        with open(args.check) as f:
            committed = f.read()
        first = committed.splitlines()[2] if committed.count("\n") > 2 else ""
        if f"botocore {botocore.__version__}:" not in first:
            print(f"SKIP: the committed table is from another botocore ({first.strip()}); "
                  f"this machine has {botocore.__version__}")
            return 77
        if committed != text:
            print(f"{args.check} differs from a fresh generation from botocore {botocore.__version__}: "
                  f"rerun python3 tools/gen/aws_operation_table.py")
            return 1
        print(f"{args.check} matches botocore {botocore.__version__}")
        return 0
    with open(args.output, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
