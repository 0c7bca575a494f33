"""The Thai topic tagger (shared/topics, docs/topics.md): its accuracy on the held-out comments, the rules a
reader relies on (negation, absence, contrast, nothing for a comment without an aspect), and `sangsuk topics`."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from shared.manifest import manifests
from shared.topics import ASPECTS, POLARITIES, TAGGER_VERSION, default_tagger
from shared.topics.augment import composed
from shared.topics.cli import LABELLED, MAX_LINE, BadLine, tag_stream
from shared.topics.evaluation import Labelled, load, report, score, split_of
from shared.topics.model import MODEL_PATH, TopicModel, added, load_model
from shared.topics.train import training_rows

ROOT = Path(__file__).resolve().parents[2]
AIM = 0.85  # issue 20: micro-F1 over (aspect, polarity) pairs on the held-out comments
FLOOR = AIM  # lexicon-3+model-4: 0.855 held out, read once (docs/topics.md); model-3 0.830, lexicon alone 0.786


def _held_out():
    rows = [r for r in load(LABELLED) if split_of(r.id) == "heldout"]
    scores = score(rows, default_tagger().tag)
    print(report("heldout", scores))
    return scores


def test_held_out_micro_f1_does_not_regress() -> None:
    """The issue's aim (0.85): lexicon-3+model-4 reads 0.855 held out (docs/topics.md), model-3 read 0.830 and
    the lexicon alone 0.786, so a change that loses the aim fails here."""
    scores = _held_out()
    assert scores.micro[2] >= FLOOR, report("heldout", scores)


def test_the_labelled_set_is_large_varied_and_split_sixty_forty() -> None:
    rows = load(LABELLED)
    assert len(rows) >= 500
    assert len({r.id for r in rows}) == len(rows)
    assert len({r.text for r in rows}) == len(rows)
    for r in rows:
        assert set(r.topics) <= set(ASPECTS) and set(r.topics.values()) <= set(POLARITIES), r.id
    sides = Counter(split_of(r.id) for r in rows)
    assert 0.5 < sides["dev"] / len(rows) < 0.7
    pairs = Counter((a, p) for r in rows for a, p in r.topics.items() if split_of(r.id) == "heldout")
    assert all(pairs[(a, p)] >= 3 for a in ASPECTS for p in POLARITIES), pairs  # every pair is measured
    assert sum(1 for r in rows if not r.topics) >= 40  # comments about no aspect
    assert sum(1 for r in rows if len(set(r.topics.values())) == 2) >= 20  # mixed polarity in one comment


def test_the_training_comments_are_new_text_never_in_the_labelled_set() -> None:
    """tests/data/topics_train.jsonl: comments written to tune on, so none may repeat a labelled (held-out) one."""
    train = load(ROOT / "tests" / "data" / "topics_train.jsonl")
    assert len(train) >= 200 and len({r.id for r in train}) == len({r.text for r in train}) == len(train)
    assert not {r.text for r in train} & {r.text for r in load(LABELLED)}
    assert not {r.id for r in train} & {r.id for r in load(LABELLED)}
    for r in train:
        assert set(r.topics) <= set(ASPECTS) and set(r.topics.values()) <= set(POLARITIES), r.id


def test_the_model_only_adds_what_it_is_sure_of() -> None:
    """The model adds an aspect the lexicon missed at add_at or above, nothing else."""
    probs = {"waiting": (0.05, 0.05, 0.9), "courtesy": (0.1, 0.1, 0.8), "fees": (0.5, 0.1, 0.4)}
    assert added({"courtesy": "positive"}, probs, 0.8) == {"waiting": "negative", "courtesy": "positive"}
    assert added({}, probs, 0.95) == {}


def test_the_model_drops_a_lexicon_tag_only_when_sure() -> None:
    """A lexicon tag stands unless P(none) reaches drop_at (model-2, docs/topics.md); without flip_at (model-2
    and -3) with its own polarity, however sure the model is of the other."""
    probs = {"waiting": (0.96, 0.02, 0.02), "courtesy": (0.94, 0.03, 0.03), "fees": (0.0, 0.0, 1.0)}
    lexicon = {"waiting": "negative", "courtesy": "positive", "fees": "positive"}
    assert added(lexicon, probs, 0.8, 0.95) == {"courtesy": "positive", "fees": "positive"}
    assert added(lexicon, probs, 0.8, None) == lexicon  # model-1's rule: the lexicon's tags all stand
    model = load_model()
    assert model is not None and model.drop_at is not None and model.add_at < model.drop_at < 1


def test_the_model_flips_a_lexicon_polarity_only_when_very_sure() -> None:
    """Model-4 flips a lexicon polarity when the other polarity reaches flip_at; an added aspect is unaffected."""
    probs = {"access": (0.05, 0.93, 0.02), "documents": (0.1, 0.85, 0.05), "fees": (0.02, 0.03, 0.95)}
    lexicon = {"access": "negative", "documents": "negative", "fees": "negative"}
    assert added(lexicon, probs, 0.5, 0.9, 0.9) == {"access": "positive", "documents": "negative",
                                                    "fees": "negative"}
    assert added(lexicon, probs, 0.5, 0.9, None) == lexicon
    assert added({}, probs, 0.5, 0.9, 0.9) == {"access": "positive", "documents": "positive", "fees": "negative"}


def test_the_members_probabilities_are_averaged() -> None:
    """Two members' softmaxes are averaged per aspect, not their scores."""
    one = {"waiting": {"": [0.0, 0.0, 0.0], "w:รอ": [0.0, 0.0, 2.0]}}
    two = {"waiting": {"": [1.0, 0.0, 0.0]}}
    model = TopicModel({"members": [one, two], "add_at": 0.5})
    got = model.probabilities(["w:รอ", "w:รอ", "w:อื่น"])["waiting"]
    e = math.e
    first = (1 / (2 + e * e), 1 / (2 + e * e), e * e / (2 + e * e))
    second = (e / (e + 2), 1 / (e + 2), 1 / (e + 2))
    assert got == pytest.approx(tuple((a + b) / 2 for a, b in zip(first, second, strict=True)))
    assert TopicModel({"weights": one, "add_at": 0.5}).probabilities(["w:รอ"])["waiting"] == pytest.approx(first)


def test_composed_comments_join_two_of_different_aspects() -> None:
    """augment.composed: each text is two given comments joined, its labels their union, aspects never shared."""
    rows = [Labelled("a", "รอนาน", {"waiting": "negative"}), Labelled("b", "ห้องน้ำสะอาด", {"facilities": "positive"}),
            Labelled("c", "คิวยาว", {"waiting": "negative"}), Labelled("d", "ขอบคุณค่ะ", {})]
    out = composed(rows, 60, seed=1)
    assert len(out) == 60 and out == composed(rows, 60, seed=1)
    for text, topics in out:
        parts = [r for r in rows if r.text in text]
        assert len(parts) == 2 and topics == {**parts[0].topics, **parts[1].topics}
        assert sum(len(r.topics) for r in parts) == len(topics) >= 1
    assert any(topics == {"waiting": "negative", "facilities": "positive"} for _, topics in out)
    assert any(len(topics) == 1 for _, topics in out)  # one joined with a comment about no aspect
    assert composed(rows[:1], 5, seed=1) == []  # nothing to join it with


def test_the_shipped_model_is_loaded_and_trained_without_held_out_comments() -> None:
    model = load_model()
    # add_at 0.5 or more: an added polarity is always the likeliest of the three classes
    assert model is not None and set(model.weights) == set(ASPECTS) and 0.5 <= model.add_at < 1
    assert len(model.members) == 2 and all(set(m) == set(ASPECTS) for m in model.members)
    assert model.flip_at is not None and model.add_at < model.flip_at
    assert {split_of(r.id) for r in training_rows() if r.id.startswith("tc")} == {"dev"}
    # small enough to load in a blink: model-4's two members, 2.8 MB (model-3's one was under 1 MB); the member
    # trained with composed comments keeps more features, as joining comments doubles their counts
    assert MODEL_PATH.stat().st_size < 3_000_000


def test_the_split_depends_on_the_id_alone() -> None:
    assert split_of("tc0001") == split_of("tc0001")
    assert {split_of(f"x{i}") for i in range(50)} == {"dev", "heldout"}


@pytest.mark.parametrize(("text", "topics"), [
    ("รอนานมาก", {"waiting": "negative"}),
    ("ไม่ต้องรอนานเลย", {"waiting": "positive"}),
    ("รอไม่นาน", {"waiting": "positive"}),
    ("เจ้าหน้าที่ไม่ค่อยสุภาพ", {"courtesy": "negative"}),
    ("ไม่มีที่จอดรถ", {"facilities": "negative"}),  # absent, and parking is wanted
    ("ไม่มีคิวเลย", {"waiting": "positive"}),  # absent, and a queue is not
    ("ห้องน้ำก็ไม่มี", {"facilities": "negative"}),  # absence after the noun
    ("ไม่มีเงินใต้โต๊ะ", {"fees": "positive"}),
    ("เจ้าหน้าที่ใจดี แต่รอนาน", {"courtesy": "positive", "waiting": "negative"}),
    ("ระบบล่ม รอนาน เจ้าหน้าที่หงุดหงิด", {"digital": "negative", "waiting": "negative", "courtesy": "negative"}),
    ("เจ้าหน้าที่ไม่รู้", {"competence": "negative"}),  # a generic cue on a member of staff names its aspect
    ("ระบบช้ามาก", {"digital": "negative"}),  # "slow" describes the system here, not the queue
    ("ช้ามาก", {"waiting": "negative"}),
    ("บ่ต้องรอดน จนท.ใจดีหลาย", {"waiting": "positive", "courtesy": "positive"}),  # Isan
    ("staff friendly, toilet dirty", {"courtesy": "positive", "facilities": "negative"}),
    ("อยากให้มีเก้าอี้มากกว่านี้", {"facilities": "negative"}),  # a wish names what is missing
    ("อย่างอื่นดีหมด ยกเว้นที่จอดรถ", {"facilities": "negative"}),
    ("อยากให้เจ้าหน้าที่ยิ้มบ้าง", {"courtesy": "negative"}),  # a wish covers its clause past the noun
    ("ควรให้ระบบออนไลน์ใช้ได้จริง", {"digital": "negative"}),
    ("ขอบคุณค่ะ", {}),
    ("ดีมากครับ", {}),
    ("", {}),
])
def test_rules(text: str, topics: dict[str, str]) -> None:
    assert default_tagger().tag(text) == topics


def test_tags_are_deterministic_and_versioned() -> None:
    texts = [r.text for r in load(LABELLED)][:50]
    assert default_tagger().tag_many(texts) == default_tagger().tag_many(texts)
    assert TAGGER_VERSION and default_tagger().version == TAGGER_VERSION


def test_tag_stream_keeps_order_and_ids() -> None:
    lines = [{"id": "b", "text": "รอนาน"}, {"id": 7, "text": "ขอบคุณ"}, {"id": "a", "text": "ห้องน้ำสะอาด"}]
    out = io.StringIO()
    tag_stream(io.StringIO("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines) + "\n"), out)
    assert [json.loads(x) for x in out.getvalue().splitlines()] == [
        {"id": "b", "topics": {"waiting": "negative"}}, {"id": 7, "topics": {}},
        {"id": "a", "topics": {"facilities": "positive"}}]


class _Feed(io.StringIO):
    """stdin that checks each earlier line was answered before the next is read: a stream, not a slurp."""

    def __init__(self, n: int, out: io.StringIO) -> None:
        super().__init__()
        self.n, self.out, self.read = n, out, 0

    def readline(self, size: int = -1) -> str:
        assert self.out.getvalue().count("\n") == self.read
        if self.read == self.n:
            return ""
        self.read += 1
        return json.dumps({"id": self.read, "text": "รอนาน"}) + "\n"

    def read_all(self) -> None:
        raise AssertionError("read everything at once")

    read = 0


def test_tag_stream_answers_line_by_line() -> None:
    out = io.StringIO()
    tag_stream(_Feed(20, out), out)
    assert out.getvalue().count("\n") == 20


@pytest.mark.parametrize(("line", "why"), [
    ("not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"text": "x"}', '"id"'),
    ('{"id": true, "text": "x"}', '"id"'),
    ('{"id": "a", "text": 5}', '"text"'),
    ('{"id": "a"}', '"text"'),
    ('{"id": "a", "text": "' + "ก" * (MAX_LINE + 10) + '"}', "longer than"),
])
def test_bad_lines_are_refused_with_their_number(line: str, why: str) -> None:
    out = io.StringIO()
    with pytest.raises(BadLine, match=f"line 2: .*{why}"):
        tag_stream(io.StringIO('{"id": "ok", "text": "รอนาน"}\n' + line + "\n"), out)
    assert out.getvalue().count("\n") == 1  # the good line before it was answered


def _sangsuk(*args: str, stdin: str, code: str = "") -> subprocess.CompletedProcess:
    program = code + "import sys; from shared.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", program, *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)


def test_cli_refuses_a_bad_line_without_a_traceback() -> None:
    done = _sangsuk("topics", "tag", stdin='{"id": 1, "text": "รอนาน"}\n{"id": 2\n')
    assert done.returncode == 2
    assert "line 2: not JSON" in done.stderr and "Traceback" not in done.stderr
    assert json.loads(done.stdout) == {"id": 1, "topics": {"waiting": "negative"}}


def test_cli_tags_with_no_network_and_an_empty_data_directory(tmp_path: Path) -> None:
    """Nothing is downloaded at run time: every socket fails, PyThaiNLP's data directory is empty."""
    no_network = ("import socket\n"
                  "def _refuse(*a, **k): raise OSError('network used')\n"
                  "socket.socket.connect = _refuse; socket.create_connection = _refuse; socket.getaddrinfo = _refuse\n"
                  f"import os; os.environ['PYTHAINLP_DATA_DIR'] = {str(tmp_path)!r}\n")
    done = _sangsuk("topics", "tag", stdin='{"id": "x", "text": "ไม่ต้องรอนาน ห้องน้ำสกปรก"}\n', code=no_network)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": "x", "topics": {"waiting": "positive", "facilities": "negative"}}
    assert not any(tmp_path.iterdir())


def test_notify_offers_the_topics_command() -> None:
    offered = {name: m.name for m in manifests() for name in m.commands}
    assert offered["topics"] == "notify"


@pytest.mark.parametrize("text", ["ไม่" + "แย่" * 30_000, "เจ้าหน้าที่ดี" * 5_000, "ห้องน้ำไม่มี" * 6_000])
def test_a_long_hostile_comment_is_tagged_without_deep_recursion(text: str) -> None:
    """A run of adjacent cues shares a negation from cue to cue: carried, not recursed (no RecursionError)."""
    assert set(default_tagger().tag(text)) <= set(ASPECTS)
