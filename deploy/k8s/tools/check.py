"""Build every overlay with kustomize and validate every object offline and strictly with kubeconform.

`make k8s-tools` builds the two pinned tools from the Go module proxy into var/cache/tools (under nice);
`make k8s-check` (and tests/unit/test_k8s_objects.py, run by `make test`) builds each overlay and
validates it against the schemas in deploy/k8s/schemas only: no network, `-strict` (no field the schema
does not know), no `-ignore-missing-schemas`, no kind skipped, so an object whose kind has no schema
in the repo fails too.

    python3 deploy/k8s/tools/check.py tools     # build the tools when missing
    python3 deploy/k8s/tools/check.py check     # build and validate both overlays
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("staging", "production")
TOOLS = ROOT / "var" / "cache" / "tools"
# kustomize v5.8.3 needs Go 1.27; the machine's Go is 1.26.
PINNED = {
    "kustomize": ("sigs.k8s.io/kustomize/kustomize/v5", "v5.8.2"),
    "kubeconform": ("github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0"),
}
SCHEMA_LOCATIONS = (
    str(K8S / "schemas" / "kubernetes" / "{{ .ResourceKind }}{{ .KindSuffix }}.json"),
    str(K8S / "schemas" / "{{ .Group }}" / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"),
)


class MissingTool(RuntimeError):
    pass


def tool(name: str) -> Path:
    """The pinned tool's binary (one folder per version, so a new pin builds anew)."""
    _module, version = PINNED[name]
    path = TOOLS / f"{name}@{version}" / name
    if not path.exists():
        raise MissingTool(f"{path.relative_to(ROOT)} is missing: run `make k8s-tools` (Go module proxy)")
    return path


def build_tools() -> None:
    for name, (module, version) in PINNED.items():
        folder = TOOLS / f"{name}@{version}"
        if (folder / name).exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        print(f"building {name} {version} from the Go module proxy", flush=True)
        env = dict(os.environ, GOBIN=str(folder), CGO_ENABLED="0", GOFLAGS="-buildvcs=false")
        subprocess.run(["nice", "-n", "19", "go", "install", f"{module}@{version}"], env=env, check=True)


def build(overlay: str) -> str:
    """`kustomize build` of one overlay: the YAML stream of every object."""
    done = subprocess.run([str(tool("kustomize")), "build", str(K8S / "overlays" / overlay)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"kustomize build {overlay} failed:\n{done.stderr}")
    return done.stdout


@dataclass(frozen=True)
class Validation:
    ok: bool
    summary: dict
    problems: list[str]  # "<Kind> <name>: <status> <message>", one per object that is not valid
    output: str


def validate(stream: str) -> Validation:
    """kubeconform on a YAML stream, offline, strict, against the repo's schemas only."""
    argv = [str(tool("kubeconform")), "-strict", "-summary", "-output", "json"]
    for location in SCHEMA_LOCATIONS:
        argv += ["-schema-location", location]
    done = subprocess.run([*argv, "-"], input=stream, capture_output=True, text=True)
    report = json.loads(done.stdout or "{}")
    problems = [f"{r.get('kind')} {r.get('name')}: {r.get('status')} {r.get('msg', '')}"
                for r in report.get("resources", []) if r.get("status") != "statusValid"]
    summary = report.get("summary", {})
    ok = done.returncode == 0 and not problems and summary.get("skipped", 0) == 0 and summary.get("valid", 0) > 0
    return Validation(ok, summary, problems, done.stdout + done.stderr)


def check() -> int:
    failed = False
    for overlay in OVERLAYS:
        result = validate(build(overlay))
        print(f"{overlay}: {result.summary}")
        for problem in result.problems:
            print(f"  {problem}")
        failed |= not result.ok
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv == ["tools"]:
        build_tools()
        return 0
    if argv == ["check"]:
        return check()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
