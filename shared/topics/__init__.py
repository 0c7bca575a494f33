"""Thai comment topics: which service aspects a citizen's comment mentions, and whether for better or worse.

Offline and deterministic (docs/topics.md): PyThaiNLP's `newmm` segmenter with its bundled word list, and our
lexicon (lexicon.json). `TAGGER_VERSION` changes whenever the lexicon or the rules change, so tags kept with a
comment say which tagger made them and history can be re-tagged from the log.
"""

from __future__ import annotations

from shared.topics.tagger import ASPECTS, POLARITIES, TAGGER_VERSION, Tagger, default_tagger

__all__ = ["ASPECTS", "POLARITIES", "TAGGER_VERSION", "Tagger", "default_tagger"]
