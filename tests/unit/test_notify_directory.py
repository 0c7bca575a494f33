"""The directory CSV: refused whole with every problem listed; contact data masked in exports."""

from __future__ import annotations

import pytest

from services.notify.directory import (
    COLUMNS,
    HEADER,
    MAX_DEPUTIES,
    Contact,
    DirectoryFileError,
    development_csv,
    inbox_district,
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
        "line 7: role 'mayor' must be chief, deputy or governor",
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


# ---------------------------------------------------------------------- deputies (issue 19)
def csv_with_deputies(*rows: str) -> str:
    return "\n".join([",".join(COLUMNS), *rows]) + "\n"


WITH_DEPUTIES = csv_with_deputies(
    "chief,3706,สมชาย ใจดี,นายอำเภอหัวตะพาน,,somchai@dopa.go.th,,,email,yes,,",
    f"deputy,3706,สมศักดิ์ มั่นคง,ปลัดอำเภอหัวตะพาน,{LINE_USER},somsak@dopa.go.th,,,line;email,yes,d1,yes",
    "deputy,3706,สมพร ดีงาม,ปลัดอำเภอ (งานทะเบียน),,somporn@dopa.go.th,,,email,no,d2,no",
    "deputy,4408,วิชัย ตั้งใจ,ปลัดอำเภอ,,wichai@dopa.go.th,,,email,yes,d1,",
    "governor,37,สมหญิง รักดี,ผู้ว่าราชการจังหวัดอำนาจเจริญ,,gov37@dopa.go.th,,,email,no,,",
)


def test_deputies_load_with_their_own_keys_addresses_and_choices():
    chief, d1, d2, other, governor = parse_directory(WITH_DEPUTIES, REGISTRY)
    assert (chief.key, d1.key, d2.key, other.key, governor.key) == (
        "chief:3706", "deputy:3706:d1", "deputy:3706:d2", "deputy:4408:d1", "governor:37")
    assert d1.channels == ("line", "email") and d1.line_user_id == LINE_USER and d1.digest and d1.alerts
    assert not d2.digest and not d2.alerts
    assert other.alerts  # an empty alerts cell is yes
    assert chief.alerts and chief.person == ""


def test_the_earlier_ten_column_file_still_loads_and_exports_in_the_new_form():
    chief, governor = parse_directory(GOOD, REGISTRY)
    assert chief.person == "" and chief.alerts and governor.alerts
    exported = to_csv([chief, governor], masked=False)
    assert exported.splitlines()[0] == ",".join(COLUMNS)
    assert parse_directory(exported, REGISTRY) == [chief, governor]
    contacts = parse_directory(WITH_DEPUTIES, REGISTRY)
    assert parse_directory(to_csv(contacts, masked=False), REGISTRY) == contacts


def test_stored_documents_from_before_deputies_read_as_chiefs_that_get_alerts():
    chief = parse_directory(GOOD, REGISTRY)[0]
    old = {k: v for k, v in chief.to_document().items() if k not in ("person", "alerts")}
    assert Contact.from_document(old) == chief


def test_bad_deputy_rows_are_each_named():
    eleven = [f"deputy,4712,ป{i},ปลัดอำเภอ,,p{i}@dopa.go.th,,,email,yes,p{i}," for i in range(MAX_DEPUTIES + 1)]
    bad = csv_with_deputies(
        "deputy,3706,ก,ปลัดอำเภอ,,a@dopa.go.th,,,email,yes,,",               # no person id
        "deputy,3706,ข,ปลัดอำเภอ,,b@dopa.go.th,,,email,yes,Somsak Jaidee,",  # a name, not an id
        "deputy,3706,ค,ปลัดอำเภอ,,c@dopa.go.th,,,email,yes,d1,",
        "deputy,3706,ง,ปลัดอำเภอ,,d@dopa.go.th,,,email,yes,d1,",             # the same id twice
        "deputy,9999,จ,ปลัดอำเภอ,,e@dopa.go.th,,,email,yes,d1,",             # not a district of the programme
        "chief,3706,ฉ,นายอำเภอ,,C@dopa.go.th,,,email,yes,boss,",             # a chief needs no id
        "deputy,3706,ช,ปลัดอำเภอ,,c@DOPA.go.th,,,email,yes,d3,maybe",        # a colleague's address; alerts?
        "deputy,37,ซ,ปลัดจังหวัด,,h@dopa.go.th,,,email,yes,d1,",             # a province code
        *eleven,
    )
    with pytest.raises(DirectoryFileError) as err:
        parse_directory(bad, REGISTRY)
    text = "\n".join(err.value.problems)
    for expected in [
        "line 2: person is empty: a deputy needs an id",
        "line 3: person must be 1 to 24 lower-case letters",
        "line 5: deputy d1 of 3706 already appears on line 4",
        "line 6: district code '9999' is not in the programme",
        "line 7: person is only for deputy rows",
        "line 8: email is already the address of another person of district 3706 (line 4)",
        "line 8: alerts 'maybe' must be yes or no",
        "line 9: district code '37' is not in the programme",
        f"line {10 + MAX_DEPUTIES}: district 4712 has more than {MAX_DEPUTIES} deputies",
    ]:
        assert expected in text, expected
    assert "line 10:" not in text  # the first ten deputies of 4712 are fine


def test_the_chief_and_a_deputy_of_one_district_cannot_share_an_address():
    rows = csv_with_deputies("chief,3706,ก,นายอำเภอ,,same@dopa.go.th,,,email,yes,,",
                             "deputy,3706,ข,ปลัดอำเภอ,,Same@dopa.go.th,,,email,yes,d1,",
                             "chief,4408,ค,นายอำเภอ,,same@dopa.go.th,,,email,yes,,")  # another district: fine
    with pytest.raises(DirectoryFileError) as err:
        parse_directory(rows, REGISTRY)
    assert err.value.problems == ["line 3: email is already the address of another person of district 3706 (line 2): "
                                  "a sign-in link must go to one person"]


def test_who_reads_which_inbox():
    chief, d1, _d2, other, governor = parse_directory(WITH_DEPUTIES, REGISTRY)
    assert chief.reads_inbox_of("3706") and d1.reads_inbox_of("3706")
    assert not d1.reads_inbox_of("4408") and not other.reads_inbox_of("3706")
    assert not governor.reads_inbox_of("37") and not governor.reads_inbox_of("3706")
    assert [inbox_district(k) for k in ("chief:3706", "deputy:3706:d1", "governor:37", "centre", "deputy:", "")] == [
        "3706", "3706", None, None, None, None]


def test_exports_mask_deputies_addresses_but_keep_their_ids():
    exported = to_csv(parse_directory(WITH_DEPUTIES, REGISTRY))
    assert "somsak@dopa.go.th" not in exported and "s***@dopa.go.th" in exported and LINE_USER not in exported
    assert ",d1,yes" in exported and ",d2,no" in exported


def test_the_development_directory_gives_every_district_a_deputy():
    contacts = parse_directory(development_csv(REGISTRY), REGISTRY)
    deputies = [c for c in contacts if c.role == "deputy"]
    assert {c.code for c in deputies} == {d.code for d in REGISTRY}
    assert all(c.key == f"deputy:{c.code}:d1" and c.email == f"deputy-{c.code}@dev.amphoesangsook.test"
               for c in deputies)
