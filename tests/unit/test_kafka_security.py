"""Every Kafka client of the platform takes the same TLS settings (Strimzi's listener in the cluster)."""

from __future__ import annotations

import pytest

from shared.config import Settings
from shared.kafka import client_security

TLS_ENV = {"KAFKA_SECURITY_PROTOCOL": "ssl", "KAFKA_SSL_CAFILE": "/etc/sangsuk/kafka/ca.crt",
           "KAFKA_SSL_CERTFILE": "/etc/sangsuk/kafka/user.crt", "KAFKA_SSL_KEYFILE": "/etc/sangsuk/kafka/user.key"}


def test_plaintext_by_default_adds_nothing():
    assert client_security(Settings.from_env({})) == {}


def test_ssl_with_a_client_certificate():
    assert client_security(Settings.from_env(TLS_ENV)) == {
        "security_protocol": "SSL", "ssl_cafile": "/etc/sangsuk/kafka/ca.crt",
        "ssl_certfile": "/etc/sangsuk/kafka/user.crt", "ssl_keyfile": "/etc/sangsuk/kafka/user.key"}


def test_ssl_without_its_files_is_refused_by_name():
    env = {k: v for k, v in TLS_ENV.items() if k != "KAFKA_SSL_KEYFILE"}
    with pytest.raises(ValueError, match="KAFKA_SSL_KEYFILE"):
        client_security(Settings.from_env(env))


def test_an_unsupported_protocol_is_refused():
    with pytest.raises(ValueError, match="SASL_SSL"):
        client_security(Settings.from_env({"KAFKA_SECURITY_PROTOCOL": "sasl_ssl"}))


def test_the_cluster_config_names_the_files_its_pods_mount():
    """deploy/k8s/base/config.yaml's variables give a complete SSL client configuration."""
    from pathlib import Path

    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "deploy/k8s/base/config.yaml").read_text())
    security = client_security(Settings.from_env(config["data"]))
    assert security["security_protocol"] == "SSL"
    assert all(security[k].startswith("/etc/sangsuk/kafka/") for k in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"))
