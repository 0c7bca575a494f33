"""What a service declares about itself, and how the platform's tools ask every service.

Each `services/<name>/manifest.py` holds one `MANIFEST`: its processes (for `make run`, the image and
k8s), the topics it writes, its store indexes, its metrics prefix and any `sangsuk` subcommands.
`sangsuk init`, `deploy/local/services.py` and the tests find the manifests by looking, so `shared/`
imports no service by name. A manifest imports only `shared.config` and this module at module level
(standard library only), so `deploy/local/services.py` can read it with any Python 3.11.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from argparse import ArgumentParser, Namespace
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.config import Settings

GUNICORN = ("-m", "gunicorn", "-c", "python:shared.gunicorn_conf")
WEEK_MS = str(7 * 24 * 3600 * 1000)
CAMPAIGN_YEAR_MS = str(400 * 24 * 3600 * 1000)  # the votes log is the audit trail of a whole campaign year


def acknowledged_config(settings: Settings) -> dict[str, str]:
    """For a topic whose records were acknowledged to a channel: a write (acks=all) is acknowledged only once two
    brokers hold it, so losing the leader loses no vote; one on a single-broker cluster (the local servers)."""
    return {"min.insync.replicas": str(min(2, settings.replication_factor))}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


@dataclass(frozen=True)
class Command:
    """A `sangsuk <name>` subcommand a service offers (e.g. channels' `posters`)."""

    help: str
    add_arguments: Callable[[ArgumentParser], None]
    run: Callable[[Namespace, Settings], int]


@dataclass(frozen=True)
class ServiceManifest:
    name: str
    # Processes by name; each is the argv after the Python interpreter. "web" is the HTTP process.
    processes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    port: int | None = None  # the web process's port (make run; the image's EXPOSE; the k8s containerPort)
    # Serves the public (citizens, channels): reached only through the buffering proxy (make run: nginx on
    # PROXY_PORT; k8s: the Ingress), and trusts that one proxy hop for the client's address. Every web
    # process listens on loopback under make run; one that is not public is internal.
    public: bool = False
    # Paths of an otherwise internal web process that the public reaches through the same proxy, as nginx
    # locations ("= /" exact, "/ranking/" a prefix): ranking's public website. Its other routes stay internal.
    public_paths: tuple[str, ...] = ()
    # The variable naming the directory the web process shares with the others (consumer heartbeat, metrics).
    state_dir_env: str | None = None
    topics: Callable[[Settings], list[TopicSpec]] = lambda settings: []  # the topics this service writes
    prepare_store: Callable[[Any], None] | None = None  # indexes, idempotent: given the pymongo Database
    metrics_prefix: str | None = None  # its own metrics are `<prefix>…` (the runtime's are stream_*{service=})
    commands: Mapping[str, Command] = field(default_factory=dict)


def web(app: str) -> tuple[str, ...]:
    """The web process: `python -m gunicorn -c python:shared.gunicorn_conf <module:app>`."""
    return (*GUNICORN, app)


def manifests(package: str = "services") -> list[ServiceManifest]:
    """Every service that has a manifest, by name."""
    found = []
    root = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        module_name = f"{package}.{info.name}.manifest"
        if info.ispkg and importlib.util.find_spec(module_name) is not None:
            found.append(importlib.import_module(module_name).MANIFEST)
    return found


def platform_topics(settings: Settings) -> list[TopicSpec]:
    """Every topic the platform owns, each declared by the service that writes it."""
    return [spec for manifest in manifests() for spec in manifest.topics(settings)]
