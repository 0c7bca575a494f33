"""The search form's fast path (runs of characters that are their own form, copied whole) gives exactly
what folding every character one at a time gives: the text and each character's span in the original."""

from __future__ import annotations

import random

from shared.pdpa_form import Form, _normal_char, normal_form

# Thai (digits and SARA AM included), ASCII, and every kind of disguise the slow path handles.
ALPHABET = ([chr(c) for c in range(0x0E00, 0x0E80)] + list("abz 09@._-")
            + ["\u200b", "\u00ad", "１", "＠", "\ufe0f", "\u20e3", "😀", "٣", "\u3002", "\u00a0", "é", "ﬁ"])


def one_at_a_time(text: str) -> Form:
    out, starts, ends = [], [], []
    for i, char in enumerate(text):
        normal = _normal_char(char)
        out.append(normal)
        starts.extend([i] * len(normal))
        ends.extend([i + 1] * len(normal))
    return Form("".join(out), starts, ends)


def test_runs_and_single_characters_give_the_same_form():
    rng = random.Random(24)
    for _ in range(5000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        assert normal_form(text) == one_at_a_time(text), repr(text)


def test_thai_digits_and_sara_am_are_folded_inside_a_run():
    form = normal_form("โทร ๐๘๑ น้ำ")
    assert form.text == "โทร 081 น\u0e49\u0e4d\u0e32"  # ำ is ํ + า under NFKC, both from ำ's position
    assert form.span(4, 7) == (4, 7)
    assert form.span(10, 12) == (10, 11)
