"""The directory CSV: refused whole with every problem listed; contact data masked in exports."""

from __future__ import annotations

import pytest

from services.notify.directory import (
    HEADER,
    DirectoryFileError,
    development_csv,
    parse_directory,
    to_csv,
)
from shared.districts import load_registry

REGISTRY = load_registry()
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LINE_USER = "U" + "0123456789abcdef" * 2


def csv_of(*rows: str) -> str:
    return "\n".join([",".join(HEADER), *rows]) + "\n"


GOOD = csv_of(
    f"chief,3706,สมชาย ใจดี,นายอำเภอหัวตะพาน,{LINE_USER},somchai@dopa.go.th,https://hooks.example.org/a,{SECRET},"
    "line;email;webhook,yes",
    "governor,37,สมหญิง รักดี,ผู้ว่าราชการจังหวัดอำนาจเจริญ,,gov37@dopa.go.th,,,email,no",
)


def test_a_good_file_loads():
    chief, governor = parse_directory(GOOD, REGISTRY)
    assert chief.key == "chief:3706" and chief.channels == ("line", "email", "webhook") and chief.digest
    assert governor.key == "governor:37" and governor.channels == ("email",) and not governor.digest


def test_every_problem_is_listed_and_nothing_loads():
    bad = csv_of(
        "chief,9999,ก,t,,a@b.co,,,email,yes",                    # unknown district
        "governor,10,ข,t,,a@b.co,,,email,no",                   # Bangkok is not in the programme
        "chief,3706,ค,t,@somchai,not-an-address,http://hooks.example.org/x,,line;email;webhook;fax,maybe",
        "chief,4408,,t,,,,,email,yes",                           # no name, e-mail wanted but empty
        "chief,4408,ง,t,,a@b.co,,,email,yes",                    # twice
        "mayor,4712,จ,t,,a@b.co,,,email,yes",
        "chief,4712,ฉ,t,,a@b.co,https://x.example.org/h,whsec_###,webhook,yes",
    )
    with pytest.raises(DirectoryFileError) as err:
        parse_directory(bad, REGISTRY)
    text = "\n".join(err.value.problems)
    for expected in [
        "line 2: district code '9999' is not in the programme",
        "line 3: province code '10' is not in the programme",
        "line 4: line_user_id must be U followed by 32 hex digits",
        "line 4: email is not a valid address",
        "line 4: webhook_url must use https",
        "line 4: webhook_secret is required with a webhook_url",
        "line 4: channel 'fax' must be one of",
        "line 4: digest 'maybe' must be yes or no",
        "line 5: name is empty",
        "line 5: channel email is wanted but its address is empty",
        "line 6: chief 4408 already appears on line 5",
        "line 7: role 'mayor' must be chief or governor",
        "line 8: webhook_secret is not base64 after whsec_",
    ]:
        assert expected in text, expected


def test_a_wrong_header_is_refused():
    with pytest.raises(DirectoryFileError) as err:
        parse_directory("code,name\n3706,x\n", REGISTRY)
    assert "header must be exactly" in str(err.value)


def test_http_and_private_receivers_only_under_the_development_allowance():
    row = f"chief,3706,ก,t,,,http://127.0.0.1:8999/hook,{SECRET},webhook,no"
    assert parse_directory(csv_of(row), REGISTRY, allow_private=True)[0].webhook_url == "http://127.0.0.1:8999/hook"
    with pytest.raises(DirectoryFileError):
        parse_directory(csv_of(row), REGISTRY)


PRIVATE_TARGETS = ["https://127.0.0.1/h", "https://127.1.2.3:8443/h", "https://[::1]/h", "https://localhost/h",
                   "https://api.localhost/h", "https://printer.local/h", "https://metadata.google.internal/h",
                   "https://169.254.169.254/latest/meta-data", "https://10.0.0.5/h", "https://172.16.3.4/h",
                   "https://192.168.1.10/h", "https://100.64.0.1/h", "https://0.0.0.0/h", "https://[::ffff:127.0.0.1]/h",
                   "https://[fe80::1]/h", "https://[fd00::1]/h", "https://2130706433/h", "https://0x7f.1/h",
                   "https://017700000001/h", "https://224.0.0.1/h", "https://[::]/h"]


@pytest.mark.parametrize("url", PRIVATE_TARGETS)
def test_webhooks_to_loopback_link_local_and_private_addresses_are_refused(url):
    row = f"chief,3706,ก,t,,,{url},{SECRET},webhook,no"
    with pytest.raises(DirectoryFileError) as err:
        parse_directory(csv_of(row), REGISTRY)
    assert "webhook_url" in str(err.value)


def test_exports_mask_contact_data():
    exported = to_csv(parse_directory(GOOD, REGISTRY))
    assert "somchai@dopa.go.th" not in exported and "s***@dopa.go.th" in exported
    assert LINE_USER not in exported and "U01…ef" in exported
    assert "/a" not in exported.split("\n")[1] and "https://hooks.example.org/…" in exported
    assert SECRET not in exported


def test_the_development_directory_covers_every_district_and_province():
    contacts = parse_directory(development_csv(REGISTRY), REGISTRY)
    chiefs = [c for c in contacts if c.role == "chief"]
    assert len(chiefs) == len(REGISTRY)
    assert all(c.email.endswith("@dev.amphoesangsook.test") for c in contacts)
    assert {c.code for c in contacts if c.role == "governor"} == {d.province_code for d in REGISTRY}


FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+66 1", "-1+2", "@SUM(A1)", "＝1+1"]


def test_the_export_neutralises_formulas_and_loads_back_the_same():
    rows = [f"chief,{code},\"{name.replace(chr(34), chr(34) * 2)}\",{name[:3]}t,,c{code}@dopa.go.th,,,email,no"
            for code, name in zip(("3706", "4408", "1101", "1102", "1103"), FORMULAS, strict=True)]
    contacts = parse_directory(csv_of(*rows), REGISTRY)
    exported = to_csv(contacts, masked=False)
    cells = [line.split(",")[2] for line in exported.splitlines()[1:]]
    assert all(cell.lstrip('"').startswith("'") for cell in cells), cells
    assert [c.name for c in parse_directory(exported, REGISTRY)] == FORMULAS  # the quote is undone on load


@pytest.mark.parametrize("cell", ["\"สมชาย\rBcc: x@evil.example\"", "\"สมชาย\nใจดี\"", "สม\x00ชาย", "สม\u2028ชาย",
                                  "สม\x1bชาย"])
def test_a_control_character_in_any_cell_refuses_the_file(cell):
    with pytest.raises(DirectoryFileError) as err:
        parse_directory(csv_of(f"chief,3706,{cell},นายอำเภอ,,a@dopa.go.th,,,email,no"), REGISTRY)
    assert "control character" in str(err.value)
