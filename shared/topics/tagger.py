"""The topic tagger: a lexicon over newmm tokens, with negation scope, intensifiers and contrast clauses.

Why a lexicon first: it runs on the platform's own hardware with nothing downloaded, gives the same answer
for the same text on every machine, and an analyst can read why a comment got its tags; the small model of
step 7 only adds what the lexicon's phrasings miss.
Rules, in order (docs/topics.md):
1. Normalise (lower case, runs of one character cut to one, ๆ dropped, "." a space) and segment with newmm over
   PyThaiNLP's word list plus every lexicon phrase.
2. Match lexicon phrases longest first on the text, from token boundaries (newmm's compounds such as "แพงไป"
   would hide a cue if matching were on whole tokens); see _ends_well.
3. Split into clauses at punctuation and contrast words ("แต่", "ส่วน", "เพราะ"); a clause after a contrast
   weighs more; after a fault marker ("ยกเว้น") a bare noun is the complaint.
4. A negator (ไม่, ไม่ต้อง, ไม่ค่อย, บ่ …) up to three tokens before a cue, with no whitespace or noun between,
   flips it, and the cue right after shares it; after an absence word (ไม่มี …) an aspect noun takes its
   absence polarity (no parking: negative; no queue: positive), after "มี" the opposite; a wish (อยากให้)
   makes a cue negative; a hypothetical (ถ้า) drops a generic one. Intensifiers weigh 1.5, softeners 0.5.
5. A strict cue names its aspect; a generic one (ดี, แย่, ช้า …) attaches to the nearest aspect noun of the
   clause it may describe, else to its default aspect, else to nothing. Weak cues (bare "รอ", "ยืนรอ",
   "ชั่วโมง"; lexicon "weak") count only when nothing else in the comment names an aspect.
6. Each aspect's polarity is the sign of its weighted sum; a tie goes to the last cue.
7. A trained model (model.py, its weights committed) adds aspects the lexicon missed when it is sure, drops a
   lexicon tag when it is sure the comment does not speak of that aspect, and flips a lexicon polarity only
   when it is very sure of the other one.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.topics.model import TopicModel

ASPECTS = ("waiting", "courtesy", "competence", "documents", "facilities", "access", "digital", "fees")
POLARITIES = ("positive", "negative")
LEXICON_PATH = Path(__file__).with_name("lexicon.json")
TAGGER_VERSION = "lexicon-3+model-4"

_PUNCT = re.compile(r"[,!?;:()\[\]\"'“”…/|~\n\r\t]+")
_RUN = re.compile(r"(.)\1{2,}")
_WINDOW_NEG = 3
_WINDOW_ATTACH = 8
_QUANTITY = frozenset({"เยอะ"})


@dataclass(frozen=True)
class _Entry:
    kind: str  # strict | noun | generic | negator | absence | intensifier | softener | contrast
    aspect: str | None = None
    polarity: str | None = None  # strict, generic; for a noun its polarity when absent
    allowed: frozenset[str] | None = None  # generic: the aspects it may attach to (None: any; "staff": a person)
    as_staff: str | None = None  # generic: the aspect it names when it describes a member of staff


def normalised(text: str) -> str:
    """Lower case, runs of one character cut to one ("มากกก" -> "มาก"), ๆ dropped, "." a space."""
    return _normalise(text)


def _normalise(text: str) -> str:
    text = text.lower().replace("ๆ", "").replace(".", " ")  # "จนท." is an abbreviation, not a sentence end
    return _RUN.sub(r"\1", text)


class Tagger:
    """Tags one comment at a time; build once (the segmenter's dictionary takes ~1 s), then reuse."""

    version = TAGGER_VERSION

    def __init__(self, lexicon: dict, model: TopicModel | None = None) -> None:
        from pythainlp.corpus.common import thai_words
        from pythainlp.tokenize import Tokenizer

        phrases: dict[str, _Entry] = {}
        kinds = {"negators": "negator", "absence": "absence", "intensifiers": "intensifier",
                 "softeners": "softener", "contrast": "contrast", "faults": "fault", "wishes": "wish",
                 "hypothetical": "hypothetical", "presence": "presence"}
        for kind, name in kinds.items():
            for word in lexicon[kind]:
                phrases[_normalise(word)] = _Entry(name)
        for aspect, sides in lexicon["strict"].items():
            for polarity, words in sides.items():
                for word in words:
                    phrases[_normalise(word)] = _Entry("strict", aspect, polarity)
        for word, (aspect, absent) in lexicon["nouns"].items():
            phrases[_normalise(word)] = _Entry("noun", aspect, absent)
        for word, (polarity, allowed, default, *as_staff) in lexicon["generic"].items():
            phrases[_normalise(word)] = _Entry("generic", default, polarity,
                                               None if allowed == "*" else frozenset(allowed),
                                               as_staff[0] if as_staff else "courtesy")
        unknown = {e.aspect for e in phrases.values() if e.aspect} - set(ASPECTS)
        if unknown:
            raise ValueError(f"lexicon names unknown aspects: {sorted(unknown)}")
        words = set(thai_words()) | {p for p in phrases if " " not in p}
        self._tokenizer = Tokenizer(custom_dict=words, engine="newmm", keep_whitespace=True)
        self._phrases = phrases
        self._weak = frozenset(_normalise(w) for w in lexicon.get("weak", []))
        self._lengths = sorted({len(p) for p in phrases}, reverse=True)
        self._model = model

    def words(self, text: str) -> list[str]:
        """A text's newmm tokens as the tagger sees them (normalised; no spaces or punctuation): the centre's
        search terms, so a query and a comment are cut the same way."""
        return [w for w in self._tokenizer.word_tokenize(_PUNCT.sub(" ", normalised(text))) if w.strip()]

    def _cues(self, text: str) -> list[tuple[int, str, _Entry]]:
        """(position, surface, entry) for every matched phrase and every other token; whitespace and
        punctuation become 'space' and 'break' items so negation and clauses can see them.

        newmm's dictionary holds compounds that swallow a cue ("แพงไป", "เจ้าหน้า|ที่ทำงาน"), so phrases
        are matched on the text itself, longest first, starting at a token boundary (or where the previous
        match ended). A phrase may end inside a token only if it is 3+ characters long and does not cut a
        Thai syllable (the next character is no vowel sign or tone mark) or a Latin word."""
        norm = _PUNCT.sub(" | ", _normalise(text))
        bounds, at = [], 0
        for piece in self._tokenizer.word_tokenize(norm):
            bounds.append(at)
            at += len(piece)
        starts = _Starts(bounds)
        out: list[tuple[int, str, _Entry]] = []
        i, n = 0, len(norm)
        while i < n:
            ch = norm[i]
            if ch == "|":
                out.append((i, ch, _Entry("break")))
                i += 1
                continue
            if ch.isspace():
                out.append((i, " ", _Entry("space")))
                while i < n and norm[i].isspace():
                    i += 1
                continue
            matched = None
            for length in self._lengths:
                if i + length > n:
                    continue
                entry = self._phrases.get(norm[i:i + length])
                if entry is not None and _ends_well(norm, i, i + length, starts):
                    matched = (length, entry)
                    break
            if matched:
                out.append((i, norm[i:i + matched[0]], matched[1]))
                i += matched[0]
                starts.add(i)
                continue
            j = i + 1
            while j < n and j not in starts and not norm[j].isspace() and norm[j] != "|":
                j += 1
            out.append((i, norm[i:j], _Entry("other")))
            i = j
        return out

    def tag(self, text: str) -> dict[str, str]:
        """{aspect: "positive"|"negative"} for each aspect the comment speaks of (possibly none): the lexicon's
        tags, plus the aspects the trained model is sure of that the lexicon missed (model.py)."""
        items = self._cues(text)
        tags = self._lexicon_tags(items)
        return self._model.revise(items, tags) if self._model is not None else tags

    def lexicon_tag(self, text: str) -> dict[str, str]:
        """The lexicon's tags alone (what the model adds to; train.py learns beside it)."""
        return self._lexicon_tags(self._cues(text))

    def cues(self, text: str) -> list[tuple[int, str, _Entry]]:
        """The items the lexicon and the model read: the model's features are made from them (train.py)."""
        return self._cues(text)

    def _lexicon_tags(self, items: list[tuple[int, str, _Entry]]) -> dict[str, str]:
        scores: dict[str, float] = {}
        last: dict[str, str] = {}
        weak: dict[str, float] = {}  # cues that count only when nothing else names an aspect
        weak_last: dict[str, str] = {}
        for clause, weight, fault in _clauses(items):
            # bare "รอ" is a weak cue, not a thing a generic cue can describe
            nouns = [(k, e) for k, (_, w, e) in enumerate(clause) if e.kind == "noun" and w != "รอ"]
            if fault and nouns and not any(e.kind in ("strict", "generic") for _, _, e in clause):
                # "ยกเว้นที่จอดรถ": the thing named after a fault marker is what falls short
                _add(scores, last, nouns[0][1].aspect, "negative", weight)
                continue
            carried: dict[int, bool | str] = {}  # each cue's negation, for the cue right after it
            # a wish word (อยากให้, ควร) covers the rest of its clause, nouns and all: what follows is wanted
            wish_at = next((k for k, (_, _, e) in enumerate(clause) if e.kind == "wish"), len(clause))
            last_cue = max((k for k, (_, _, e) in enumerate(clause) if e.kind in _CUES), default=-1)
            for k, (_, surface, entry) in enumerate(clause):
                if entry.kind not in ("strict", "generic", "noun"):
                    continue
                negated, absent = _negation(clause, k, carried)
                carried[k] = negated
                if entry.kind == "noun":
                    absent = absent or _absent_after(clause, k, last_cue)
                    if absent and entry.polarity:
                        _add(scores, last, entry.aspect, entry.polarity, weight * _intensity(clause, k))
                    elif entry.polarity and k and clause[k - 1][2].kind == "presence" and not negated:
                        # "มีที่จอดรถ", "มีน้ำดื่ม": there is what one misses when absent
                        present = "negative" if entry.polarity == "positive" else "positive"
                        _add(scores, last, entry.aspect, present, weight)
                    elif entry.aspect == "waiting" and surface == "รอ" and not absent:
                        _add(weak, weak_last, "waiting", "positive" if negated is True else "negative", weight)
                    continue
                if surface in _QUANTITY and k and clause[k - 1][2].kind in ("strict", "generic"):
                    continue  # "ดีขึ้นเยอะ", "ลดลงเยอะ": an intensifier here, not "too many"
                polarity = entry.polarity
                if negated == "hypothetical" and entry.kind == "generic":
                    continue  # "ถ้าจะเอาเร็ว…": a condition, not an experience
                if negated is False and wish_at < k:
                    negated = "wish"  # "อยากให้เจ้าหน้าที่ยิ้มบ้าง": a wish covers its clause, nouns and all
                if negated == "wish":  # "อยากให้ปรับปรุงห้องน้ำ", "ควรมีที่จอดรถเพิ่ม": wanted, so lacking
                    polarity = "negative"
                elif negated is True:
                    polarity = "negative" if polarity == "positive" else "positive"
                aspect = entry.aspect if entry.kind == "strict" else _attach(entry, k, nouns)
                weakly = surface in self._weak  # "ยืนรอ", "ชั่วโมง": a wait, unless something else is the point
                if aspect is not None:
                    _add(weak if weakly else scores, weak_last if weakly else last, aspect, polarity,
                         weight * _intensity(clause, k))
        if not scores:  # "ตากฝนรอ", "ยืนรอหน้าห้องร้อน": the facility is the point, not the wait
            scores, last = weak, weak_last
        result = {}
        for aspect in ASPECTS:
            if aspect in scores:
                s = scores[aspect]
                result[aspect] = last[aspect] if abs(s) < 1e-9 else ("positive" if s > 0 else "negative")
        return result

    def tag_many(self, texts: Iterable[str]) -> list[dict[str, str]]:
        return [self.tag(t) for t in texts]


_FOLLOWERS = frozenset("ะาำิีึืุูั็่้๊๋์ๅ")


class _Starts:
    """Token start offsets: membership, the token holding a position (by bisection, so a long comment costs
    n log n, not n²), and the ends of matched phrases added as they are found."""

    def __init__(self, bounds: list[int]) -> None:
        self._sorted = bounds
        self._set = set(bounds)
        self._last_added = 0

    def __contains__(self, pos: object) -> bool:
        return pos in self._set

    def add(self, pos: int) -> None:
        """The end of a match: a boundary for what follows (matches are found left to right)."""
        self._set.add(pos)
        self._last_added = pos

    def token_start(self, pos: int) -> int:
        """Where the token (or the rest of a token after a match) holding pos begins."""
        found = self._sorted[bisect.bisect_right(self._sorted, pos) - 1]
        return max(found, self._last_added) if self._last_added <= pos else found


def _ends_well(norm: str, start: int, end: int, starts: _Starts) -> bool:
    """May a phrase run from start to end? At a boundary, yes; inside a token only if it began that token
    ("แพง" in "แพงไป", not "ต้องยืน" in "ต้อง|ยืนยัน"), is 3+ characters, and cuts neither a Thai syllable nor a
    Latin word ("wait" in "waited")."""
    if end == len(norm):
        return True
    nxt, last = norm[end], norm[end - 1]
    if last.isascii() and last.isalnum() and nxt.isascii() and nxt.isalnum():
        return False
    if end in starts or nxt.isspace() or nxt == "|":
        return True
    return starts.token_start(end - 1) == start and end - start >= 3 and nxt not in _FOLLOWERS


def _clauses(items: list[tuple[int, str, _Entry]]):
    """Yield (clause items, weight, fault): breaks end a clause; a contrast word starts a heavier one, a fault
    marker ("ยกเว้น", "ติดที่") one whose bare noun is the complaint."""
    current: list[tuple[int, str, _Entry]] = []
    weight, fault = 1.0, False
    for item in items:
        kind = item[2].kind
        if kind in ("break", "contrast", "fault"):
            if current:
                yield current, weight, fault
            current = []
            fault = kind == "fault"
            if kind in ("contrast", "fault"):
                weight = 1.25
            continue
        current.append(item)
    if current:
        yield current, weight, fault


def _negation(clause, k: int, carried: dict[int, bool | str]) -> tuple[bool | str, bool]:
    """(negated, absent): a negator up to three tokens before position k, with no whitespace or aspect noun
    between; a cue right after a negated cue shares its negation ("ไม่ได้ขอเอกสารเพิ่มจุกจิก")."""
    for steps, j in enumerate(range(k - 1, -1, -1)):
        entry = clause[j][2]
        if entry.kind == "space" or entry.kind == "noun" or steps >= _WINDOW_NEG:
            return False, False
        if entry.kind == "wish":
            return "wish", False
        if entry.kind == "hypothetical":
            return "hypothetical", False
        if entry.kind in ("negator", "absence"):
            return True, entry.kind == "absence"
        if entry.kind in ("strict", "generic"):
            return (carried.get(j, False), False) if j == k - 1 else (False, False)
    return False, False


_CUES = frozenset({"strict", "generic", "noun", "negator", "absence", "wish", "hypothetical", "presence",
                   "softener"})


def _absent_after(clause, k: int, last_cue: int) -> bool:
    """"ป้ายก็ไม่มี": an absence word closing the clause (no cue after it) up to three tokens after the noun."""
    for j in range(k + 1, min(k + 4, len(clause))):
        entry = clause[j][2]
        if entry.kind == "absence":
            return last_cue == j
        if entry.kind in ("strict", "generic", "noun", "space"):
            return False
    return False


def _intensity(clause, k: int) -> float:
    factor = 1.0
    for j in (k - 2, k - 1, k + 1, k + 2):
        if 0 <= j < len(clause):
            kind = clause[j][2].kind
            if kind == "intensifier":
                factor = 1.5
            elif kind == "softener":
                factor = min(factor, 0.5)
    return factor


def _attach(entry: _Entry, k: int, nouns: list[tuple[int, _Entry]]) -> str | None:
    """The aspect a generic cue describes: the nearest allowed noun (before it preferred), else its default.
    A member of staff ("เจ้าหน้าที่") is a courtesy noun; a cue allowed on "staff" names its own aspect
    there ("เจ้าหน้าที่ไม่รู้": competence)."""
    best: tuple[float, str] | None = None
    lo = bisect.bisect_left(nouns, k - _WINDOW_ATTACH, key=lambda n: n[0])
    for pos, noun in nouns[lo:bisect.bisect_right(nouns, k + _WINDOW_ATTACH, key=lambda n: n[0])]:
        if entry.allowed is None:
            aspect = noun.aspect
        elif noun.aspect == "courtesy" and "staff" in entry.allowed:
            aspect = entry.as_staff
        elif noun.aspect in entry.allowed:
            aspect = noun.aspect
        else:
            continue
        distance = (k - pos) if pos < k else (pos - k) + 0.5
        if distance <= _WINDOW_ATTACH and (best is None or distance < best[0]):
            best = (distance, aspect)
    return best[1] if best else entry.aspect


def _add(scores: dict[str, float], last: dict[str, str], aspect: str, polarity: str, weight: float) -> None:
    scores[aspect] = scores.get(aspect, 0.0) + (weight if polarity == "positive" else -weight)
    last[aspect] = polarity


@cache
def default_tagger() -> Tagger:
    """The tagger built from the shipped lexicon and trained model, once per process."""
    from shared.topics.model import load_model

    return Tagger(json.loads(LEXICON_PATH.read_text(encoding="utf-8")), load_model())
