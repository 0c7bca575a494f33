"""Where personal data and secrets rest under var/: readable by their owner only, and PostgreSQL's log
keeps no key of a unique violation (it would link one voter's votes: hashed voter, district, day)."""

from __future__ import annotations

import os
import smtplib
import stat
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pymongo
import pytest

from shared.cli import dev_secrets
from tests.support.infra import local_servers
from tests.support.notify_peers import MailServer


def _open_to_others(path: Path) -> bool:
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


@pytest.fixture(scope="module")
def state() -> Path:
    """The test profile's state folder, when the suite runs on the local servers (not testcontainers)."""
    folder = local_servers().profile("test").state
    if not (folder / "logs" / "postgresql.log").exists():
        pytest.skip("the suite does not run on deploy/local's servers")
    return folder


def test_postgresql_logs_a_unique_violation_without_its_key(settings, state):
    log = state / "logs" / "postgresql.log"
    before = log.stat().st_size
    marker = f"voter-{uuid.uuid4().hex}|3706|2026-12-05"
    collection = pymongo.MongoClient(settings.mongo_uri)[settings.mongo_db]["modes_probe"]
    collection.insert_one({"_id": marker})
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        collection.insert_one({"_id": marker})
    deadline = time.monotonic() + 10
    while "duplicate key" not in (new := log.read_bytes()[before:].decode(errors="replace")):
        assert time.monotonic() < deadline, f"the violation never reached {log}"
        time.sleep(0.2)
    assert marker not in new and "DETAIL" not in new and "STATEMENT" not in new, new


def test_server_logs_supervisor_files_and_kafka_data_are_owner_only(state):
    for folder in (state / "logs", state / "supervisor", state / "kafka-data"):
        assert not _open_to_others(folder), folder
    exposed = [str(p) for folder in (state / "logs", state / "supervisor") for p in folder.rglob("*")
               if not p.is_socket() and _open_to_others(p)]
    assert not exposed, exposed
    pid = (state / "supervisor" / "supervisord.pid").read_text().strip()
    umask = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Umask"))
    assert umask.split()[1] == "0077"  # what every program it starts (and every log it writes) inherits


def test_kept_mail_is_owner_only():
    with MailServer() as mail:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@notify.example", "b@dopa.example", "link"
        message.set_content("https://notify.example/a/secret-link-token")
        with smtplib.SMTP("127.0.0.1", mail.port) as smtp:
            smtp.send_message(message)
        [kept] = list(mail.folder.glob("*.eml"))
        assert not _open_to_others(mail.folder) and not _open_to_others(kept)


def test_development_secrets_are_owner_only_and_an_open_folder_is_tightened(tmp_path):
    out = tmp_path / "secrets"
    out.mkdir(mode=0o755)
    os.chmod(out, 0o755)
    (out / "voter-hmac.key").write_text("an earlier run's key\n")
    os.chmod(out / "voter-hmac.key", 0o644)
    dev_secrets(out)
    assert not _open_to_others(out)
    assert {"central-office.key", "channel-keys.json", "notify-link.key", "voter-hmac.key"} <= {
        p.name for p in out.iterdir()}
    assert not [p.name for p in out.iterdir() if _open_to_others(p)]
    assert (out / "voter-hmac.key").read_text() == "an earlier run's key\n"  # kept, only tightened
