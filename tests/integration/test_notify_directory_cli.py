"""`sangsuk directory load FILE` against the real store: a bad file is refused whole with every problem."""

from __future__ import annotations

import subprocess
import sys

from services.notify.directory import HEADER
from services.notify.store import NotifyStore
from shared import mongo
from tests.integration.notify_env import directory_csv


def run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {"MONGO_URI": settings.mongo_uri, "MONGO_DB": settings.mongo_db, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "shared.cli", "directory", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_load_refuses_a_bad_file_whole_then_loads_a_good_one(settings, tmp_path):
    store = NotifyStore(mongo.database(settings))
    good = tmp_path / "good.csv"
    good.write_text(directory_csv("https://hooks.example.org/h"), encoding="utf-8")
    done = run(settings, "load", str(good))
    assert done.returncode == 0, done.stderr
    assert '"added": 2' in done.stdout and "chief3706@dopa.example" not in done.stdout + done.stderr

    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(HEADER) + "\nchief,3706,ก,t,,ok@dopa.example,,,email,yes\n"
                   "chief,0000,ข,t,,x@,,,email,yes\ngovernor,37,ค,t,Ubad,,,,line,no\n", encoding="utf-8")
    refused = run(settings, "load", str(bad))
    assert refused.returncode == 2
    for expected in ["line 3: district code '0000'", "line 3: email is not a valid address",
                     "line 4: line_user_id must be", "refused whole, nothing was loaded"]:
        assert expected in refused.stderr
    assert "ok@dopa.example" not in refused.stderr
    assert {c.key for c in store.contacts()} == {"chief:3706", "governor:37"}
    assert store.contact("chief:3706").email == "chief3706@dopa.example"  # untouched

    exported = run(settings, "export")
    assert exported.returncode == 0 and "c***@dopa.example" in exported.stdout
    assert "chief3706@dopa.example" not in exported.stdout
