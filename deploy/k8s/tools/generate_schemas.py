"""Regenerate the strict JSON schemas `make k8s-check` validates every manifest against (offline).

`make k8s-schemas` runs this. Sources, pinned in SOURCES below:
- Kubernetes' own OpenAPI spec (`api/openapi-spec/swagger.json` of the `k8s.io/kubernetes` Go module),
  for the core kinds in KUBERNETES_KINDS only;
- the CRDs of Strimzi (GitHub), KEDA and prometheus-operator (Go module proxy) and the MongoDB
  Community operator (GitHub), for the kinds in each source's `kinds`.

Go modules come through `go mod download`; GitHub sources are cloned at their tag, unless
`--source NAME=DIR` names a checkout already on disk. Each output folder gets the project's licence
and a SOURCE.json (project, version, files and their sha256), so a reviewer can redo the work.

Strict, as `kubeconform -strict` means it: every object schema that lists its properties refuses
others (`additionalProperties: false`) unless it says it keeps unknown fields
(`x-kubernetes-preserve-unknown-fields`). Kubernetes' int-or-string and quantities accept a string or
a number, as the API server does. Descriptions are dropped (the files are for machines).

Layout, matching the two `-schema-location` templates in deploy/k8s/tools/check.py:
  deploy/k8s/schemas/kubernetes/<kind>-<group>-<version>.json
      ({{ .ResourceKind }}{{ .KindSuffix }})
  deploy/k8s/schemas/<group>/<kind>_<version>.json
      ({{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }})
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "deploy" / "k8s" / "schemas"

KUBERNETES_VERSION = "v1.35.4"
# Only the core kinds the manifests use (add one here when a manifest needs it, then regenerate).
KUBERNETES_KINDS = [
    ("", "v1", "Namespace"), ("", "v1", "ConfigMap"), ("", "v1", "Service"), ("", "v1", "ServiceAccount"),
    ("apps", "v1", "Deployment"), ("batch", "v1", "Job"), ("policy", "v1", "PodDisruptionBudget"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"), ("networking.k8s.io", "v1", "Ingress"),
    ("networking.k8s.io", "v1", "NetworkPolicy"),
]

SOURCES: dict[str, dict[str, Any]] = {
    "kubernetes": {
        "go_module": "k8s.io/kubernetes", "version": KUBERNETES_VERSION,
        "openapi": "api/openapi-spec/swagger.json", "licence": "LICENSE",
    },
    "strimzi": {
        "git": "https://github.com/strimzi/strimzi-kafka-operator", "version": "1.2.0", "licence": "LICENSE",
        "crds": ["packaging/install/cluster-operator/040-Crd-kafka.yaml",
                 "packaging/install/cluster-operator/043-Crd-kafkatopic.yaml",
                 "packaging/install/cluster-operator/044-Crd-kafkauser.yaml",
                 "packaging/install/cluster-operator/045-Crd-kafkanodepool.yaml"],
    },
    "keda": {
        "go_module": "github.com/kedacore/keda/v2", "version": "v2.21.0", "licence": "LICENSE",
        "crds": ["config/crd/bases/keda.sh_scaledobjects.yaml", "config/crd/bases/keda.sh_triggerauthentications.yaml"],
    },
    "prometheus-operator": {
        "go_module": "github.com/prometheus-operator/prometheus-operator", "version": "v0.85.0", "licence": "LICENSE",
        "crds": [f"example/prometheus-operator-crd-full/monitoring.coreos.com_{name}.yaml"
                 for name in ("servicemonitors", "podmonitors", "prometheusrules")],
    },
    "mongodb-community-operator": {
        # LICENSE.md says the repository's content is under the Apache 2.0 licence in APACHE2.
        "git": "https://github.com/mongodb/mongodb-kubernetes-operator", "version": "v0.13.0",
        "licence": ["LICENSE.md", "APACHE2"],
        "crds": ["config/crd/bases/mongodbcommunity.mongodb.com_mongodbcommunity.yaml"],
    },
}

INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY = {"oneOf": [{"type": "string"}, {"type": "number"}]}
DROPPED = {"description", "example", "externalDocs"}


def strict(node: Any) -> Any:
    """An OpenAPI schema node as a strict JSON schema node (recursively)."""
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    int_or_string = node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string")
    if int_or_string and "anyOf" not in node and "oneOf" not in node:
        return dict(INT_OR_STRING)
    out = {key: strict(value) for key, value in node.items() if key not in DROPPED and not key.startswith("x-")}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
    if node.get("nullable"):
        out.pop("nullable")
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
    if ("properties" in out and "additionalProperties" not in out
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def kind_suffix(group: str, version: str) -> str:
    """kubeconform's {{ .KindSuffix }}: -<first label of the group>-<version>, or -<version> for core."""
    return f"-{group.split('.')[0]}-{version}" if group else f"-{version}"


def _references(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            _references(value, found)
    elif isinstance(node, list):
        for value in node:
            _references(value, found)


def kubernetes_schemas(source: Path, out: Path) -> list[str]:
    definitions = json.loads((source / SOURCES["kubernetes"]["openapi"]).read_text())["definitions"]
    definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = INT_OR_STRING
    definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = QUANTITY
    by_gvk = {(g["group"], g["version"], g["kind"]): name for name, d in definitions.items()
              for g in d.get("x-kubernetes-group-version-kind", [])}
    written = []
    for gvk in KUBERNETES_KINDS:
        name = by_gvk[gvk]
        reachable, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in reachable:
                continue
            reachable.add(current)
            refs: set[str] = set()
            _references(definitions[current], refs)
            todo.extend(refs - reachable)
        schema = strict(definitions[name])
        schema["definitions"] = {n: strict(definitions[n]) for n in sorted(reachable - {name})}
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        group, version, kind = gvk
        path = out / f"{kind.lower()}{kind_suffix(group, version)}.json"
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        written.append(path.name)
    return written


def crd_schemas(source: Path, files: list[str], out_root: Path) -> dict[str, list[str]]:
    """Every served version of every CRD in `files`, one schema per kind and version, by group."""
    written: dict[str, list[str]] = {}
    for relative in files:
        for crd in yaml.safe_load_all((source / relative).read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served", True):
                    continue
                schema = strict(version["schema"]["openAPIV3Schema"])
                schema["$schema"] = "http://json-schema.org/draft-07/schema#"
                folder = out_root / group
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{kind.lower()}_{version['name']}.json"
                path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
                written.setdefault(group, []).append(path.name)
    return written


def checkout(name: str, spec: dict[str, Any], overrides: dict[str, Path], scratch: Path) -> Path:
    if name in overrides:
        return overrides[name]
    if "go_module" in spec:
        found = subprocess.run(["go", "mod", "download", "-json", f"{spec['go_module']}@{spec['version']}"],
                               cwd=scratch, check=True, capture_output=True, text=True)
        return Path(json.loads(found.stdout)["Dir"])
    target = scratch / name
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", spec["version"], spec["git"], str(target)],
                   check=True)
    return target


def provenance(folder: Path, name: str, spec: dict[str, Any], source: Path, inputs: list[str]) -> None:
    licences = spec["licence"] if isinstance(spec["licence"], list) else [spec["licence"]]
    for index, licence in enumerate(licences):
        shutil.copyfile(source / licence, folder / ("LICENSE" if index == 0 else Path(licence).name))
    record = {"project": name, "version": spec["version"],
              "from": spec.get("go_module", spec.get("git")) + ("" if "go_module" in spec else " (git tag)"),
              "files": {f: hashlib.sha256((source / f).read_bytes()).hexdigest() for f in inputs},
              "regenerate": "make k8s-schemas (deploy/k8s/tools/generate_schemas.py)"}
    (folder / "SOURCE.json").write_text(json.dumps(record, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", action="append", default=[], metavar="NAME=DIR",
                        help=f"use a checkout on disk for a source ({', '.join(SOURCES)})")
    args = parser.parse_args(argv)
    overrides = {k: Path(v).resolve() for k, v in (item.split("=", 1) for item in args.source)}
    if unknown := set(overrides) - set(SOURCES):
        parser.error(f"unknown source {sorted(unknown)}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        shutil.rmtree(OUT, ignore_errors=True)
        for name, spec in SOURCES.items():
            source = checkout(name, spec, overrides, scratch)
            if name == "kubernetes":
                folder = OUT / "kubernetes"
                folder.mkdir(parents=True)
                written = kubernetes_schemas(source, folder)
                provenance(folder, name, spec, source, [spec["openapi"]])
                print(f"kubernetes {spec['version']}: {len(written)} kinds")
                continue
            for group, names in crd_schemas(source, spec["crds"], OUT).items():
                provenance(OUT / group, name, spec, source, spec["crds"])
                print(f"{name} {spec['version']}: {group}: {', '.join(sorted(names))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
