"""Every service's bootstrap fails the same way on a missing or unreadable setting: `MissingSetting`, a
SystemExit whose one line names the environment variable to set (no traceback, exit status 1).

Nothing here opens a store: a bootstrap checks its settings before it builds anything that could connect.
"""

from __future__ import annotations

import pytest

from shared.config import MissingSetting

SECRETS = ("PUBLIC_BASE_URL", "CHANNEL_KEYS", "VOTER_HMAC_SECRET", "NOTIFY_LINK_SECRET", "CENTRAL_OFFICE_KEYS",
           "SIZE_GROUPS_CSV")


@pytest.fixture
def env(monkeypatch):
    """A bare environment: none of the settings the services may require, nor their _FILE forms."""
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    return monkeypatch


def ingest() -> None:
    from services.ingest.bootstrap import bootstrap

    bootstrap()


def scoring() -> None:
    from services.scoring.bootstrap import bootstrap

    bootstrap()


def ranking() -> None:
    from services.ranking.bootstrap import bootstrap

    bootstrap()


def notify() -> None:
    from services.notify.bootstrap import bootstrap

    bootstrap()


SERVICES = {"ingest": ingest, "scoring": scoring, "ranking": ranking, "notify": notify}
# What each service needs that has no default: set for the tests of the other settings.
REQUIRED = {"ingest": {"PUBLIC_BASE_URL": "https://example.org", "CHANNEL_KEYS": '{"qr": ["k"]}',
                       "VOTER_HMAC_SECRET": "s"},
            "scoring": {}, "ranking": {}, "notify": {"NOTIFY_LINK_SECRET": "s"}}


def refused(start, name: str) -> MissingSetting:
    with pytest.raises(MissingSetting) as caught:
        start()
    error = caught.value
    assert isinstance(error, SystemExit)
    assert error.name == name and str(error).startswith(f"missing setting {name}: "), str(error)
    assert error.code == str(error)  # what the process prints as it exits with status 1
    return error


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_service_refuses_an_unreadable_size_groups_file_naming_it(env, tmp_path, service):
    for name, value in REQUIRED[service].items():
        env.setenv(name, value)
    env.setenv("SIZE_GROUPS_CSV", str(tmp_path / "missing.csv"))
    error = refused(SERVICES[service], "SIZE_GROUPS_CSV")
    assert "missing.csv cannot be read" in str(error)


@pytest.mark.parametrize("service", ["ingest", "notify"])
def test_every_required_setting_missing_is_named(env, service):
    for missing in REQUIRED[service]:
        for name, value in REQUIRED[service].items():
            if name == missing:
                env.delenv(name, raising=False)
            else:
                env.setenv(name, value)
        error = refused(SERVICES[service], missing)
        if missing != "PUBLIC_BASE_URL":  # a secret: the message says both ways to give it
            assert f"{missing}_FILE" in str(error)


@pytest.mark.parametrize("service", ["ingest", "ranking", "notify"])
def test_an_unreadable_secret_file_is_named(env, tmp_path, service):
    """A _FILE setting that names no file: the error names that variable, for every service that reads one
    (ranking and notify read CENTRAL_OFFICE_KEYS; ingest its channel keys; scoring reads no secret)."""
    for name, value in REQUIRED[service].items():
        env.setenv(name, value)
    secret = "CHANNEL_KEYS" if service == "ingest" else "CENTRAL_OFFICE_KEYS"
    env.delenv(secret, raising=False)
    env.setenv(f"{secret}_FILE", str(tmp_path / "nothing"))
    refused(SERVICES[service], f"{secret}_FILE")


def test_notify_refuses_a_config_without_a_link_secret_as_from_the_environment():
    from services.notify.bootstrap import bootstrap
    from services.notify.config import NotifyConfig

    refused(lambda: bootstrap(NotifyConfig()), "NOTIFY_LINK_SECRET")
