"""The praise normaliser (shared/praise): its accuracy on the labelled texts written for the project, and
the rules the chief's counts rely on (merges and renames followed, low votes not praise, no logging).

The labelled sets are tests/data/praise_tuning.jsonl (the rules were tuned on it),
tests/data/praise_heldout.jsonl (committed before the normaliser existed) and praise_heldout2.jsonl
(committed after the rules, before they were run on it); neither held-out set was tuned on. All use the
made-up district of tests/data/praise_directory.json. A text is right only if kind, unit and person all
match (an expected person without a unit must come back without one).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from pathlib import Path

import pytest

from shared.praise import (
    PERSON,
    UNIT,
    UNKNOWN,
    PraiseDirectory,
    Unit,
    counts_as_praise,
    normalise,
    with_units,
)
from shared.praise.fold import MAX_TEXT

DATA = Path(__file__).resolve().parents[1] / "data"
# Held-out: 0.9 leaves room for about five misses in each set of ~50 (a rule change that costs a whole
# category, such as typos or English names, costs more than that and fails); measured at their first runs
# 52/52 and 47/48 (docs/praise.md). Tuning: the rules were written against these texts, so less than
# 0.95 means a rule broke.
THRESHOLDS = {"praise_heldout.jsonl": 0.9, "praise_heldout2.jsonl": 0.9, "praise_tuning.jsonl": 0.95}


def evaluation_directory() -> PraiseDirectory:
    data = json.loads((DATA / "praise_directory.json").read_text(encoding="utf-8"))
    return PraiseDirectory.build(data["people"], data["aliases"], data["units"])


def labelled(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def expected(row: dict) -> tuple:
    return row["kind"], row.get("unit"), row.get("person")


def got(row: dict, directory: PraiseDirectory) -> tuple:
    mention = normalise(row["text"], directory)
    return mention.kind, mention.unit_id, mention.person_key


def test_the_labelled_sets_are_large_and_varied():
    rows = [row for name in THRESHOLDS for row in labelled(name)]
    assert len(rows) >= 150
    assert len({row["text"] for row in rows}) == len(rows), "a text is labelled twice"
    kinds = Counter(row["kind"] for row in rows)
    assert min(kinds[PERSON], kinds[UNIT], kinds[UNKNOWN]) >= 20, kinds
    assert sum(any(c.isascii() and c.isalpha() for c in row["text"]) for row in rows) >= 15  # English mixed in


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_accuracy_on_labelled_texts(name):
    directory = evaluation_directory()
    rows = labelled(name)
    misses = [(row["text"], expected(row), got(row, directory)) for row in rows
              if got(row, directory) != expected(row)]
    accuracy = 1 - len(misses) / len(rows)
    print(f"\npraise normaliser on {name}: {len(rows) - len(misses)}/{len(rows)} = {accuracy:.3f}")
    for text, want, found in misses:
        print(f"  miss: {text!r} expected {want} got {found}")
    assert accuracy >= THRESHOLDS[name], misses


def test_the_issue_example_needs_no_directory():
    mention = normalise("พี่นก งานบัตร")
    assert mention.to_dict() == {"kind": PERSON, "unit_id": "id_card", "person_key": "นก", "display": "นก"}
    assert normalise("งานบัตร").display == "งานบัตรประจำตัวประชาชน"
    assert normalise(None).kind == UNKNOWN


def count(texts: list[str], directory: PraiseDirectory, stored: list[str] | None = None) -> Counter:
    """What a counting view does: keys as stored when the vote was read, each followed to its key now."""
    keys = stored if stored is not None else [normalise(text, directory).person_key for text in texts]
    return Counter(directory.canonical(key) for key in keys)


def test_a_merge_moves_the_counts_of_the_other_spelling():
    texts = ["พี่นก", "คุณนก งานบัตร", "น้องนกน้อย", "นกน้อยค่ะ", "ป้าแดง"]
    before = PraiseDirectory()
    stored = [normalise(text, before).person_key for text in texts]
    assert count(texts, before, stored) == {"นก": 2, "นกน้อย": 2, "แดง": 1}
    after = before.merged("นกน้อย", "นก")
    assert count(texts, after, stored) == {"นก": 4, "แดง": 1}
    assert normalise("พี่นกน้อย", after).person_key == "นก"


def test_a_rename_moves_the_counts_and_later_mentions():
    directory = PraiseDirectory.build({"นก": ["นก", "nok"]}, {"นกน้อย": "นก"})
    stored = ["นก", "นก", "นกน้อย"]
    renamed = directory.renamed("นก", "ศิริพร")
    assert count([], renamed, stored) == {"ศิริพร": 3}
    mention = normalise("Khun Nok", renamed)
    assert (mention.person_key, mention.display) == ("ศิริพร", "ศิริพร")


def test_merging_back_and_forth_does_not_loop():
    directory = PraiseDirectory().merged("ก้อย", "กอล์ฟ").merged("กอล์ฟ", "ก้อย")
    assert directory.canonical("ก้อย") in {"ก้อย", "กอล์ฟ"}
    assert normalise("พี่กอล์ฟ", directory).kind == PERSON


def test_a_near_spelling_of_two_people_is_not_given_to_either():
    directory = PraiseDirectory.build({"กมลา": ["กมลา"], "กมลี": ["กมลี"]})
    assert normalise("คุณกมลุ", directory).person_key == "กมลุ"
    assert normalise("คุณกมลา", directory).person_key == "กมลา"


def test_short_nicknames_one_letter_apart_stay_different_people():
    directory = PraiseDirectory.build({"ต้อย": ["ต้อย"]})
    assert normalise("พี่บอย", directory).person_key == "บอย"
    assert normalise("พี่ต๋อย", directory).person_key == "ต้อย"  # a tone mark is not another person


def test_a_district_adds_or_renames_units():
    own = {"id": "mobile_office", "th": "อำเภอเคลื่อนที่", "aliases": ["หน่วยเคลื่อนที่"]}
    renamed = Unit("front_desk", "ห้องบริการข้อมูล", "Help desk", ("ห้องบริการข้อมูล",))
    units = with_units([own, renamed])
    ids = [unit.id for unit in units]
    assert ids.count("front_desk") == 1 and "mobile_office" in ids
    directory = PraiseDirectory.build(units=[own, renamed])
    assert normalise("หน่วยเคลื่อนที่", directory).unit_id == "mobile_office"
    assert normalise("ห้องบริการข้อมูล", directory).unit_id == "front_desk"
    assert normalise("หน่วยเคลื่อนที่").kind == UNKNOWN  # another district's directory does not have it


@pytest.mark.parametrize("score, text, counted", [
    (1, "พี่นก งานบัตร", False), (2, "งานบัตร", False), (3, "งานบัตร", True), (4, "คุณสมศรี", True),
    (5, "พี่นก", True), (5, "ขอบคุณค่ะ", False), (5, "", False), (5, None, False), (0, "พี่นก", False),
    (6, "พี่นก", False), (True, "พี่นก", False), ("5", "พี่นก", False), (None, "พี่นก", False),
])
def test_counts_as_praise(score, text, counted):
    assert counts_as_praise(score, text) is counted


def test_counts_as_praise_uses_the_districts_units():
    directory = evaluation_directory()
    assert counts_as_praise(5, "อำเภอเคลื่อนที่", directory)
    assert not counts_as_praise(5, "อำเภอเคลื่อนที่")


def test_nothing_is_logged_and_no_module_can_log(caplog):
    caplog.set_level(logging.DEBUG)
    texts = [row["text"] for row in labelled("praise_tuning.jsonl")]
    for text in texts:
        normalise(text, evaluation_directory())
        counts_as_praise(5, text)
    # Other threads of the suite (a store client's monitor) may log meanwhile: this thread logs nothing, and no
    # record from anywhere carries a name from the set (short texts such as "4" are left out of that search: they
    # occur in any driver's message by chance).
    here = threading.get_ident()
    names = [text for text in texts if text and len(text.strip()) >= 4]
    ours = [r for r in caplog.records
            if r.thread == here or r.name.startswith("shared.praise")
            or any(text in r.getMessage() for text in names)]
    assert ours == []
    package = Path(__file__).resolve().parents[2] / "shared" / "praise"
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "import logging" not in text and "getLogger" not in text and "print(" not in text, source.name


def test_only_the_first_characters_are_read():
    """Cost is bounded: a name hidden after MAX_TEXT characters of filler is never read."""
    long_text = "ขอบคุณ " * (MAX_TEXT // 7 + 1) + "พี่นก"
    assert normalise(long_text).kind == UNKNOWN
    assert normalise("ขอบคุณ" * 100_000).kind == UNKNOWN
    assert normalise("งานบัตร " + "ก" * 100_000).unit_id == "id_card"


def test_zero_width_and_redaction_marks_are_not_names():
    assert normalise("\u200b\u200c\ufeff").kind == UNKNOWN
    assert normalise("[redacted-phone] งานบัตร").to_dict()["kind"] == UNIT
    assert normalise("พี่\u200dนก\u200b").person_key == "นก"


@pytest.mark.parametrize("text", ["รอนานมาก", "ไวมาก", "เก่งมาก", "เจ้าหน้าที่ใจดีมาก", "พี่ใจดีค่ะ", "น้องสุภาพมาก"])
def test_how_the_service_was_is_not_a_name(text):
    """Answers LINE's "whom to praise?" gets that say how it went: no person is made of them."""
    assert normalise(text).kind == UNKNOWN


@pytest.mark.parametrize(("text", "name"), [("สมชาย", "สมชาย"), ("น้องแนน", "แนน"), ("พี่นก", "นก"),
                                            ("พี่ดีนา", "ดีนา"), ("คุณสมศรีใจดีมาก", "สมศรี")])
def test_names_beside_those_words_are_still_names(text, name):
    mention = normalise(text)
    assert (mention.kind, mention.person_key) == (PERSON, name)
