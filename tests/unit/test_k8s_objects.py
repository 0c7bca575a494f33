"""The Kubernetes overlays build, every object validates offline and strictly, and the objects agree
with each other and with the services' manifests (deploy/k8s, docs/kubernetes.md).

Needs kustomize and kubeconform from `make k8s-tools` (a prerequisite of `make test`); without them
these tests fail and say so, rather than skip.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from shared.config import Settings
from shared.manifest import manifests, platform_topics

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check = _load("k8s_check", K8S / "tools" / "check.py")
rules = _load("k8s_rules", K8S / "tools" / "generate_prometheusrule.py")


@cache
def built(overlay: str) -> str:
    return check.build(overlay)


@cache
def objects(overlay: str) -> tuple[dict, ...]:
    return tuple(doc for doc in yaml.safe_load_all(built(overlay)) if doc)


def kinds(overlay: str, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects(overlay) if o["kind"] == kind}


def consumer_services() -> list:
    return [m for m in manifests() if "consumer" in m.processes]


def consumed_topics(service: str) -> set[str]:
    """The topics the service's consumer subscribes to, read from its composition root (the `topics=[…]`
    it hands kafka_loop), so a consumer that starts reading another topic shows up here."""
    tree = ast.parse((ROOT / "services" / service / "bootstrap.py").read_text())
    topics = Settings().topics
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "kafka_loop":
            [listed] = [k.value for k in node.keywords if k.arg == "topics"]
            return {getattr(topics, element.attr) for element in listed.elts}
    raise AssertionError(f"no kafka_loop(...) in services/{service}/bootstrap.py")


def group_id(service: str) -> str:
    module = importlib.import_module(f"services.{service}.config")
    [config_class] = [v for k, v in vars(module).items() if k.endswith("Config") and hasattr(v, "from_env")
                      and v.__module__ == module.__name__]
    return config_class.from_env({"NOTIFY_LINK_SECRET": "test"}).stream.group_id


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_each_overlay_builds_and_every_object_validates_strictly(overlay):
    result = check.validate(built(overlay))
    assert result.ok, "\n".join(result.problems) or result.output
    assert result.summary["valid"] == len(objects(overlay)) > 40
    assert result.summary["skipped"] == result.summary["errors"] == result.summary["invalid"] == 0


def test_a_broken_object_fails_validation():
    """The check can fail: a misspelt field, a wrong type in a CRD kind, and a kind with no schema in the repo."""
    docs = [copy.deepcopy(o) for o in objects("production")]
    deployment = next(o for o in docs if o["kind"] == "Deployment" and o["metadata"]["name"] == "scoring")
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesytem"] = True
    topic = next(o for o in docs if o["kind"] == "KafkaTopic")
    topic["spec"]["partitions"] = "twelve"
    scaler = next(o for o in docs if o["kind"] == "ScaledObject")
    scaler["spec"]["maxReplicas"] = 3  # HPA's word, not KEDA's
    docs.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    result = check.validate(yaml.safe_dump_all(docs))
    assert not result.ok
    problems = "\n".join(result.problems)
    assert "Deployment scoring: statusInvalid" in problems and "readOnlyRootFilesytem" in problems
    assert f"KafkaTopic {topic['metadata']['name']}: statusInvalid" in problems
    assert f"ScaledObject {scaler['metadata']['name']}: statusInvalid" in problems and "maxReplicas" in problems
    assert "Widget w: statusError" in problems
    assert len(result.problems) == 4


def test_kafka_topics_are_the_manifests_topics_with_their_partitions_and_retention():
    config = kinds("production", "ConfigMap")["platform-config"]["data"]
    settings = Settings.from_env(config)
    declared = {t.name: t for t in platform_topics(settings)}
    for overlay in check.OVERLAYS:
        topics = kinds(overlay, "KafkaTopic")
        assert set(topics) == set(declared), overlay
        for name, topic in topics.items():
            spec = topic["spec"]
            assert spec["partitions"] == declared[name].partitions, name
            assert spec["replicas"] == settings.replication_factor, name
            assert spec["config"] == declared[name].config, name
            assert topic["metadata"]["labels"]["strimzi.io/cluster"] in kinds(overlay, "Kafka")


def _acl(user: dict, resource_type: str, name: str) -> set[str]:
    return {op for acl in user["spec"]["authorization"]["acls"]
            if acl["resource"]["type"] == resource_type and acl["resource"].get("name") == name
            for op in acl["operations"]}


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_keda_scales_each_consumer_on_its_groups_lag_never_past_the_partitions(overlay):
    scalers = kinds(overlay, "ScaledObject")
    topics = kinds(overlay, "KafkaTopic")
    users = kinds(overlay, "KafkaUser")
    deployments = kinds(overlay, "Deployment")
    assert set(scalers) == {m.name for m in consumer_services()}
    for service, scaler in scalers.items():
        spec = scaler["spec"]
        assert spec["scaleTargetRef"]["name"] == service and service in deployments
        lag = [t for t in spec["triggers"] if t["type"] == "kafka"]
        assert {t["metadata"]["topic"] for t in lag} == consumed_topics(service), service
        for trigger in lag:
            topic, group = trigger["metadata"]["topic"], trigger["metadata"]["consumerGroup"]
            assert group == group_id(service), service
            assert spec["maxReplicaCount"] <= topics[topic]["spec"]["partitions"], (service, topic)
            assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"], service
            assert {"Read", "Describe"} <= _acl(users[f"kafka-{service}"], "topic", topic), service
            assert "Read" in _acl(users[f"kafka-{service}"], "group", group), service
            assert "Describe" in _acl(users["kafka-keda"], "topic", topic)
            assert "Describe" in _acl(users["kafka-keda"], "group", group)
            assert trigger["authenticationRef"]["name"] in kinds(overlay, "TriggerAuthentication")
            assert trigger["metadata"]["bootstrapServersFromEnv"] == "KAFKA_BOOTSTRAP"
        [cpu] = [t for t in spec["triggers"] if t["type"] == "cpu"]
        assert cpu["metadata"]["containerName"] == "web"


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_every_deployment_is_scaled_once_and_has_a_disruption_budget(overlay):
    """KEDA makes its own HPA: a Deployment with a ScaledObject must not also have one of ours."""
    targets = [h["spec"]["scaleTargetRef"]["name"] for h in kinds(overlay, "HorizontalPodAutoscaler").values()]
    targets += [s["spec"]["scaleTargetRef"]["name"] for s in kinds(overlay, "ScaledObject").values()]
    deployments = kinds(overlay, "Deployment")
    assert sorted(targets) == sorted(deployments)
    budgets = kinds(overlay, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(b["spec"]["selector"]["matchLabels"].items() <= labels.items() for b in budgets.values()), name


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_each_service_writes_and_reads_only_through_its_own_kafka_user(overlay):
    users = kinds(overlay, "KafkaUser")
    topics = set(kinds(overlay, "KafkaTopic"))
    settings = Settings()
    for manifest in manifests():
        if not manifest.processes:
            continue
        user = users[f"kafka-{manifest.name}"]
        assert user["spec"]["authentication"]["type"] == "tls"
        written = {t.name for t in manifest.topics(settings)}
        assert {t for t in topics if "Write" in _acl(user, "topic", t)} == written, manifest.name
        assert all("Describe" in _acl(user, "topic", t) for t in topics), manifest.name
        pod = kinds(overlay, "Deployment")[manifest.name]["spec"]["template"]["spec"]
        [tls] = [v for v in pod["volumes"] if v["name"] == "kafka-tls"]
        secrets = {s["secret"]["name"] for s in tls["projected"]["sources"]}
        assert secrets == {f"kafka-{manifest.name}", "sangsuk-kafka-cluster-ca-cert"}, manifest.name
    kafka = next(iter(kinds(overlay, "Kafka").values()))
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"]["type"] == "tls"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"


def _pods(overlay: str):
    for kind in ("Deployment", "Job"):
        for name, workload in kinds(overlay, kind).items():
            yield f"{kind} {name}", workload["spec"]["template"]["spec"]


SECRET_WORDS = ("SECRET", "KEY", "PASSWORD", "TOKEN", "MONGO_URI")


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_pods_are_locked_down_and_write_only_to_empty_dirs(overlay):
    for name, pod in _pods(overlay):
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            where = (name, container["name"])
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["memory"], where
            writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
            assert all(m["name"] in empty_dirs for m in container["volumeMounts"] if not m.get("readOnly")), where
            env = {e["name"]: e for e in container.get("env", [])}
            multiproc = env.get("PROMETHEUS_MULTIPROC_DIR", {}).get("value")
            if multiproc:
                assert any(multiproc.startswith(path.rstrip("/") + "/") for path in writable), where


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_secrets_are_referenced_never_written_in_the_repo(overlay):
    assert not [o for o in objects(overlay) if o["kind"] == "Secret"]
    for name, config in kinds(overlay, "ConfigMap").items():
        secret_like = {k: v for k, v in config["data"].items() if any(w in k for w in SECRET_WORDS)}
        # Only paths of mounted Secret files (KAFKA_SSL_KEYFILE), never a value.
        assert all(v.startswith("/etc/sangsuk/") for v in secret_like.values()), (name, secret_like)
    for name, pod in _pods(overlay):
        for container in pod["containers"]:
            for variable in container.get("env", []):
                if any(w in variable["name"] for w in SECRET_WORDS):
                    by_file = variable["name"].endswith("_FILE") and variable["value"].startswith("/etc/sangsuk/")
                    assert by_file or "secretKeyRef" in variable.get("valueFrom", {}), (name, variable["name"])


def _paths(ingress: dict) -> list[tuple[str, str, str]]:
    return [(rule["host"], path["path"], path["backend"]["service"]["name"])
            for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_only_public_routes_leave_the_cluster_through_a_buffering_tls_ingress(overlay):
    ingresses = kinds(overlay, "Ingress")
    routes = [route for ingress in ingresses.values() for route in _paths(ingress)]
    assert {backend for _, _, backend in routes} == {"ingest", "ranking", "notify"}  # scoring never
    for host, path, backend in routes:
        assert not path.startswith(("/metrics", "/readyz", "/healthz", "/centre")), (host, path)
        if backend == "notify":
            assert not path.startswith("/v1"), (host, path, backend)  # notify's centre
    # ranking publishes exactly its manifest's public paths (the website), as the local proxy does
    ranking_routes = {(p["path"], p["pathType"]) for ingress in ingresses.values() for r in ingress["spec"]["rules"]
                      for p in r["http"]["paths"] if p["backend"]["service"]["name"] == "ranking"}
    declared = {(path[2:], "Exact") if path.startswith("= ") else (path, "Prefix")
                for path in next(m for m in manifests() if m.name == "ranking").public_paths}
    assert ranking_routes == declared
    prefix_root = [p for ingress in ingresses.values() for r in ingress["spec"]["rules"] for p in r["http"]["paths"]
                   if p["path"] == "/" and p["pathType"] != "Exact"]
    assert not prefix_root
    for name, ingress in ingresses.items():
        notes = ingress["metadata"]["annotations"]
        assert notes["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on", name
        assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) <= 60, name
        hosts = {r["host"] for r in ingress["spec"]["rules"]}
        assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}, name
    config = kinds(overlay, "ConfigMap")["platform-config"]["data"]
    public_hosts = {host for host, _, backend in routes if backend == "ingest"}
    assert {config["PUBLIC_BASE_URL"]} == {f"https://{h}" for h in public_hosts}
    assert config["NOTIFY_PUBLIC_URL"] == f"https://{next(h for h, _, b in routes if b == 'notify')}"


def _selects(policy: dict, labels: dict) -> bool:
    selector = policy["spec"]["podSelector"]
    if selector.get("matchLabels", {}).items() - labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def _peers(policy: dict) -> list[dict]:
    return [peer for rule in policy["spec"].get("ingress", []) for peer in rule.get("from", [])]


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_network_policies_deny_by_default_and_keep_internal_apis_internal(overlay):
    policies = kinds(overlay, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    from_controller = {
        name for name, d in kinds(overlay, "Deployment").items()
        if any(_selects(p, d["spec"]["template"]["metadata"]["labels"])
               and any(peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                       == "ingress-nginx" for peer in _peers(p))
               for p in policies.values())}
    assert from_controller == {"ingest", "ranking", "notify"}  # scoring's API is internal
    for policy in policies.values():
        for peer in _peers(policy):
            assert peer, policy["metadata"]["name"]  # an empty peer would admit everything
            namespace = peer.get("namespaceSelector")
            if namespace is not None:
                assert namespace["matchLabels"]["kubernetes.io/metadata.name"] in ("ingress-nginx", "monitoring")
    [listener] = next(iter(kinds(overlay, "Kafka").values()))["spec"]["kafka"]["listeners"]
    assert listener["networkPolicyPeers"], "Strimzi opens a listener without peers to every pod"


@pytest.mark.parametrize("overlay", check.OVERLAYS)
def test_prometheus_scrapes_every_service(overlay):
    [monitor] = [m for m in kinds(overlay, "ServiceMonitor").values()]
    [expression] = monitor["spec"]["selector"]["matchExpressions"]
    assert set(expression["values"]) == {m.name for m in manifests() if m.port is not None}
    for name, service in kinds(overlay, "Service").items():
        assert service["metadata"]["labels"]["app.kubernetes.io/name"] in expression["values"], name
        assert [p["name"] for p in service["spec"]["ports"]] == [monitor["spec"]["endpoints"][0]["port"]], name
    assert "PrometheusRule" in {o["kind"] for o in objects(overlay)}


def test_the_prometheusrule_is_what_the_generator_makes_from_the_one_rules_file():
    committed = (K8S / "base" / "prometheusrule.yaml").read_text(encoding="utf-8")
    assert committed == rules.render(rules.RULES.read_text(encoding="utf-8")), "run make k8s-rules"
    source = yaml.safe_load(rules.RULES.read_text(encoding="utf-8"))
    assert yaml.safe_load(committed)["spec"]["groups"] == source["groups"]


def test_the_prometheusrule_generator_refuses_a_file_without_groups():
    with pytest.raises(ValueError, match="no rule groups"):
        rules.render("groups: []\n")
    with pytest.raises(ValueError, match="unexpected top-level keys"):
        rules.render("groups: [{name: a, rules: []}]\nrule_files: []\n")
