"""A real Kafka broker set up as the cluster's Strimzi listener is: TLS, client certificates, ACLs.

One KRaft node from the project's Kafka jars (var/cache/kafka-libs, fetched by deploy/local/servers.py),
with two listeners: SSL (client authentication required; a client's principal is `User:CN=<name>`, as
for a Strimzi KafkaUser) and a loopback PLAINTEXT one for the broker itself and the test's admin (a
super user, as Strimzi's own replication listener is). StandardAuthorizer: nothing is allowed to the
SSL clients but what their ACLs say. Certificates come from openssl: a CA, the broker's, one per user.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.support.processes import ROOT, ManagedProcess, free_port

KAFKA_LIBS = ROOT / "var" / "cache" / "kafka-libs"
LOG4J = ROOT / "deploy" / "local" / "kafka" / "log4j2.properties"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


class TlsBroker:
    def __init__(self, folder: Path):
        self.folder = folder
        self.ssl_port, self.plain_port, self.controller_port = free_port(), free_port(), free_port()
        self.process: ManagedProcess | None = None
        self._certificates()

    @property
    def ssl_bootstrap(self) -> str:
        return f"127.0.0.1:{self.ssl_port}"

    @property
    def admin_bootstrap(self) -> str:
        return f"127.0.0.1:{self.plain_port}"

    def _certificates(self) -> None:
        f = self.folder
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                 "-days", "2", "-subj", "/CN=sangsuk-test-ca", cwd=f)
        self.issue("broker", san="IP:127.0.0.1,DNS:localhost")
        (f / "broker.pem").write_text((f / "broker.key").read_text() + (f / "broker.crt").read_text())

    def issue(self, name: str, *, san: str | None = None) -> dict[str, str]:
        """A PKCS#8 key and a certificate with CN=<name>, signed by the test CA (what a KafkaUser's Secret holds)."""
        f = self.folder
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{name}.key", cwd=f)
        _openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=f)
        extra = []
        if san:
            (f / f"{name}.ext").write_text(f"subjectAltName={san}\n")
            extra = ["-extfile", f"{name}.ext"]
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.crt", "-days", "2", *extra, cwd=f)
        return {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": str(f / "ca.crt"),
                "KAFKA_SSL_CERTFILE": str(f / f"{name}.crt"), "KAFKA_SSL_KEYFILE": str(f / f"{name}.key")}

    def _properties(self) -> Path:
        f = self.folder
        props = f / "server.properties"
        props.write_text("\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
            f"listeners=SSL://127.0.0.1:{self.ssl_port},REPLICATION://127.0.0.1:{self.plain_port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=SSL://127.0.0.1:{self.ssl_port},REPLICATION://127.0.0.1:{self.plain_port}",
            "listener.security.protocol.map=SSL:SSL,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=REPLICATION",
            "ssl.client.auth=required",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={f / 'broker.pem'}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={f / 'ca.crt'}",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            # The plaintext listener's (and controller's) principal: the broker itself and the test's admin.
            "super.users=User:ANONYMOUS",
            f"log.dirs={f / 'data'}",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=3",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
        ]) + "\n")
        return props

    def _java(self, main: str, *args: str) -> list[str]:
        return ["java", "-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={LOG4J}", f"-Dkafka.logs.dir={self.folder / 'logs'}",
                "-cp", f"{KAFKA_LIBS}/*", main, *args]

    def start(self, timeout_s: float = 120) -> TlsBroker:
        if not KAFKA_LIBS.exists():
            raise RuntimeError(f"{KAFKA_LIBS} is missing: `python3 deploy/local/servers.py start` fetches it")
        props = self._properties()
        cluster = subprocess.run(self._java("kafka.tools.StorageTool", "random-uuid"), check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
        subprocess.run(self._java("kafka.tools.StorageTool", "format", "--standalone", "-t", cluster, "-c", str(props)),
                       check=True, capture_output=True, text=True)
        self.process = ManagedProcess(self._java("kafka.Kafka", str(props)), {}, log_prefix="tls-kafka-").start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.proc.poll() is not None:
                raise RuntimeError(f"the TLS broker exited:\n{self.process.output()}")
            if self._answers():
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the TLS broker did not start:\n{self.process.output()}")

    def _answers(self) -> bool:
        from shared.config import Settings
        from shared.kafka import kafka_reachable

        return kafka_reachable(Settings(kafka_bootstrap=self.admin_bootstrap), timeout_s=3.0)

    def stop(self) -> None:
        if self.process:
            self.process.kill(signal.SIGTERM)
