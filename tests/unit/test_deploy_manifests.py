"""The Kubernetes base parses and is wholly listed; every workload is probed, bounded and non-root.
(The built overlays, their validation and the cross-object rules: test_k8s_objects.py.)"""

from __future__ import annotations

from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
BASE = DEPLOY / "k8s" / "base"


def documents():
    for path in sorted(BASE.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_deployments_have_probes_resources_and_run_as_non_root():
    deployments = [doc for _, doc in documents() if doc.get("kind") == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {"ingest", "scoring", "ranking", "notify"}
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        name = deployment["metadata"]["name"]
        # The pod's HTTP container answers for the pod (scoring's /readyz checks its consumer's heartbeat).
        served = [c for c in pod["containers"] if "readinessProbe" in c]
        assert [c["name"] for c in served] == ["web"], name
        for container in served:
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        for container in pod["containers"]:
            assert container["resources"]["limits"]["memory"], (name, container["name"])
            assert container["resources"]["requests"]["cpu"], (name, container["name"])
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, (name, container["name"])


def test_services_select_existing_deployments():
    docs = [doc for _, doc in documents()]
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in docs if d.get("kind") == "Deployment"]
    services = [d for d in docs if d.get("kind") == "Service"]
    assert services
    for service in services:
        selector = service["spec"]["selector"]
        assert any(selector.items() <= lab.items() for lab in labels), service["metadata"]["name"]


def test_make_run_binds_every_service_to_loopback_behind_the_proxy():
    import importlib.util

    from shared.manifest import manifests

    spec = importlib.util.spec_from_file_location("local_services", DEPLOY / "local" / "services.py")
    services = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(services)
    served = [m for m in manifests() if m.port is not None]
    assert {m.name for m in served} >= {"ingest", "scoring"}
    for manifest in served:
        env = services.service_env(manifest)
        assert env["BIND"] == f"127.0.0.1:{manifest.port}", manifest.name
    assert [m.name for m in served if m.public] == ["ingest"]  # scoring's read API is internal
    assert services.service_env(next(m for m in served if m.public))["TRUSTED_PROXY_HOPS"] == "1"
