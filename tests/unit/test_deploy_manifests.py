"""The Kubernetes manifests parse, and every workload is probed, bounded and non-root."""

from __future__ import annotations

from pathlib import Path

import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def documents():
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_deployments_have_probes_resources_and_run_as_non_root():
    deployments = [doc for _, doc in documents() if doc.get("kind") == "Deployment"]
    assert deployments
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        name = deployment["metadata"]["name"]
        # The pod's HTTP container answers for the pod (scoring's /readyz checks its consumer's heartbeat).
        served = [c for c in pod["containers"] if "readinessProbe" in c]
        assert served, name
        for container in served:
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        for container in pod["containers"]:
            assert container["resources"]["limits"]["memory"], (name, container["name"])
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, (name, container["name"])
        assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


def test_services_select_existing_deployments():
    docs = [doc for _, doc in documents()]
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in docs if d.get("kind") == "Deployment"]
    for service in (d for d in docs if d.get("kind") == "Service"):
        selector = service["spec"]["selector"]
        assert any(selector.items() <= lab.items() for lab in labels), service["metadata"]["name"]


def test_public_routes_go_through_a_buffering_ingress_and_scoring_is_internal():
    docs = [doc for _, doc in documents()]
    [ingress] = [d for d in docs if d.get("kind") == "Ingress"]
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) <= 60
    backends = {p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {"ingest"}  # scoring is never exposed
    paths = {p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]}
    assert "/metrics" not in paths and "/" not in paths
    [policy] = [d for d in docs if d.get("kind") == "NetworkPolicy"]
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "scoring"}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    [config] = [d for d in docs if d.get("kind") == "ConfigMap" and d["metadata"]["name"] == "platform-config"]
    assert config["data"]["PUBLIC_BASE_URL"].startswith("https://")


def test_make_run_binds_every_service_to_loopback_behind_the_proxy():
    import importlib.util

    from shared.manifest import manifests

    spec = importlib.util.spec_from_file_location("local_services", K8S.parent / "local" / "services.py")
    services = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(services)
    served = [m for m in manifests() if m.port is not None]
    assert {m.name for m in served} >= {"ingest", "scoring"}
    for manifest in served:
        env = services.service_env(manifest)
        assert env["BIND"] == f"127.0.0.1:{manifest.port}", manifest.name
    assert [m.name for m in served if m.public] == ["ingest"]  # scoring's read API is internal
    assert services.service_env(next(m for m in served if m.public))["TRUSTED_PROXY_HOPS"] == "1"
