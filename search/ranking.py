"""Every tuned ranking constant, each with the table that chose it.

All figures are MRR@10 on the dev half of the judged question sets, measured with
`python bench/relevance.py --lang fa --lang id` (../shared/data/eval; fa sources
parsinlu, pqa, pquad; id sources facqa, tydi). A change here moves the ranking
golden file (tests/search/golden/ranking.tsv, 50 questions of the judged slice the
project carries): `python bench/ranking_golden.py --update` rewrites it, in a commit
that gives the new figures.
"""

from __future__ import annotations

from . import bm25

# BM25 saturation and length normalization: Lucene's defaults, not tuned here.
BM25_K1 = 1.2
BM25_B = 0.75

# BM25+'s floor per matched word, in units of its idf: length normalization alone
# let a long passage that matches a word score next to nothing for it, below a
# short one that does not match it at all.
#   delta     parsinlu  pqa     pquad   facqa   tydi    fa macro  id macro
#   0         0.7221    0.9267  0.9409  0.8247  0.6740  0.8632    0.7494
#   0.25      0.7248    0.9251  0.9446  0.8264  0.6748  0.8648    0.7506
#   0.5       0.7222    0.9268  0.9470  0.8262  0.6746  0.8653    0.7504
#   0.75      0.7191    0.9287  0.9481  0.8260  0.6722  0.8653    0.7491
#   1.0       0.7176    0.9288  0.9488  0.8262  0.6721  0.8651    0.7491
# 0.5 is the one value that lowers no source.
BM25_DELTA = 0.5

# A title word counts this much (a body word: 1). A title sharing one common word
# with a question outranked the passage that answers it.
#   boost     fa macro
#   4.0       0.779
#   1.0       0.850
#   0.5       0.860
#   0.25      0.858
#   0        0.836
TITLE_BOOST = 0.5

# Weight of a word's surface term (analyzers.chain.TermFilter; Persian only) next
# to its lemma: a document with the very form the query used gets both.
#   boost     fa macro
#   0         0.861
#   0.25      0.863
#   0.5       0.8625
# Indonesian has no surface terms: tydi 0.673 -> 0.668 at 0.35, 0.624 at 1.0.
SURFACE_BOOST = 0.25


def weighting() -> bm25.BM25F:
    """The scorer every searcher uses: BM25's own idf (search/bm25.py), not the
    TF-IDF idf Whoosh's BM25F inherits."""
    return bm25.BM25F(B=BM25_B, K1=BM25_K1, delta=BM25_DELTA)
