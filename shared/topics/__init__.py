"""Thai comment topics: which service aspects a citizen's comment mentions, and whether for better or worse.

Offline and deterministic (docs/topics.md): PyThaiNLP's `newmm` segmenter with its bundled word list, our
lexicon (lexicon.json), and a small trained model (model.json) adding what the lexicon misses.
`TAGGER_VERSION` changes whenever the lexicon, the rules or the model change, so tags kept with a comment say
which tagger made them and history can be re-tagged from the log.
"""

from __future__ import annotations

from shared.topics.tagger import ASPECTS, POLARITIES, TAGGER_VERSION, Tagger, default_tagger

__all__ = ["ASPECTS", "POLARITIES", "TAGGER_VERSION", "Tagger", "default_tagger"]
