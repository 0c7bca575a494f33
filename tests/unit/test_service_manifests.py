"""Every service declares itself in services/<name>/manifest.py, and the tools agree with the declarations."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import yaml
from prometheus_client.metrics import MetricWrapperBase

from shared.config import Settings
from shared.manifest import manifests, platform_topics

ROOT = Path(__file__).resolve().parents[2]


def test_services_are_found_by_their_manifests():
    found = {m.name: m for m in manifests()}
    assert {"ingest", "scoring", "channels"} <= set(found)
    assert set(found["scoring"].processes) == {"web", "consumer"}


def test_every_platform_topic_is_declared_once_by_the_service_that_writes_it():
    s = Settings()
    names = [spec.name for spec in platform_topics(s)]
    assert len(names) == len(set(names))
    assert set(names) == {s.topics.votes, s.topics.comments, s.topics.scores, s.topics.ballots, s.topics.votes_dlq,
                          s.topics.stories, s.topics.stories_published, s.topics.stories_decisions}
    by_service = {m.name: {t.name for t in m.topics(s)} for m in manifests()}
    assert s.topics.votes in by_service["ingest"] and s.topics.scores in by_service["scoring"]


def test_acknowledged_votes_and_comments_need_two_in_sync_replicas_where_the_cluster_has_them():
    """A vote acknowledged to a channel must outlive its partition leader: acks=all then waits for two brokers.
    The local single broker can only ask for one (more would refuse every write)."""
    for factor, needed in ((3, "2"), (2, "2"), (1, "1")):
        s = Settings(replication_factor=factor)
        topics = {spec.name: spec.config for spec in platform_topics(s)}
        for name in (s.topics.votes, s.topics.comments):
            assert topics[name]["min.insync.replicas"] == needed, (factor, name)


def test_shared_imports_no_service():
    """`sangsuk` and the rest of shared/ ask the manifests; none names a service in an import."""
    for path in (ROOT / "shared").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(m == "services" or m.startswith("services.") for m in modules), path


def test_each_service_metric_carries_its_prefix():
    for manifest in manifests():
        if manifest.metrics_prefix is None:
            continue
        module = importlib.import_module(f"services.{manifest.name}.metrics")
        metrics = [v for v in vars(module).values() if isinstance(v, MetricWrapperBase)]
        assert metrics, manifest.name
        for metric in metrics:
            assert metric._name.startswith(manifest.metrics_prefix), (manifest.name, metric._name)


def _deployment(service: str) -> dict:
    path = ROOT / "deploy" / "k8s" / "base" / f"{service}.yaml"
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc.get("kind") == "Deployment":
            return doc
    raise AssertionError(f"no Deployment in {path.relative_to(ROOT)}")


def test_kubernetes_runs_each_declared_process_with_the_declared_command():
    """One Deployment per service, one container per manifest process (docs/kubernetes.md says why the
    consumer shares the web process's pod), each with the manifest's command and the service's image."""
    for manifest in manifests():
        if not manifest.processes:
            continue
        deployment = _deployment(manifest.name)
        assert deployment["metadata"]["name"] == manifest.name
        pod = deployment["spec"]["template"]["spec"]
        containers = {c["name"]: c for c in pod["containers"]}
        assert set(containers) == set(manifest.processes), manifest.name
        for process, argv in manifest.processes.items():
            container = containers[process]
            assert container["command"] == ["python", *argv], (manifest.name, process)
            assert container["image"] == f"sangsuk/{manifest.name}"
        if manifest.port is not None:
            assert containers["web"]["ports"][0]["containerPort"] == manifest.port
            env = {e["name"]: e.get("value") for e in containers["web"]["env"]}
            assert env["PORT"] == str(manifest.port), manifest.name


def test_processes_sharing_a_state_dir_mount_one_empty_dir_where_the_variable_points():
    for manifest in manifests():
        if not manifest.state_dir_env:
            continue
        pod = _deployment(manifest.name)["spec"]["template"]["spec"]
        empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            env = {e["name"]: e.get("value") for e in container["env"]}
            path = env[manifest.state_dir_env]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get(path) in empty_dirs, (manifest.name, container["name"], path)
