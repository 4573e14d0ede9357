"""Benchmark the Word2Vec chapter: our SGNS trainer against gensim's C code.

Trains one epoch on the Wikipedia sample that ships with gensim (skip-gram,
50 dimensions, window 5, k = 5, subsampling 1e-3, min_count 5), one thread each,
and prints words per second (every token of the corpus counted, as gensim's
``train`` reports). Ours runs with batches of 1,024 pairs, and once more with
every batch going through the public, checked ``sgns_step`` instead of the
unchecked step ``train_sgns`` uses, to show what those checks would cost.

Goal (issue 13): ours within 10x of gensim. Exit status 1 when it is not.
"""

from __future__ import annotations

import sys

from benchtime import best_time
from dlbook import word2vec
from dlbook.corpus import wikipedia_sample
from dlbook.word2vec import train_gensim_sgns, train_sgns

SETTINGS = dict(dim=50, window=5, negative=5, min_count=5, sample=1e-3, seed=0, epochs=1)
GOAL_RATIO = 10.0


def main() -> int:
    sentences = wikipedia_sample()
    n_words = sum(map(len, sentences))
    t_ours, _ = best_time(lambda: train_sgns(sentences, batch_size=1024, **SETTINGS), repeat=2)
    t_gensim, _ = best_time(lambda: train_gensim_sgns(sentences, **SETTINGS), repeat=2)
    unchecked = word2vec._sgns_update

    def checked(*step: object) -> float:  # what sgns_step does: its guard, then the step
        word2vec._check_step(*step)
        return unchecked(*step)

    word2vec._sgns_update = checked
    try:
        t_checked, _ = best_time(lambda: train_sgns(sentences, batch_size=1024, **SETTINGS), repeat=2)
    finally:
        word2vec._sgns_update = unchecked
    ratio = t_ours / t_gensim
    print(f"Word2Vec, one epoch on the gensim Wikipedia sample ({n_words:,} tokens), one thread")
    print(f"{'trainer':<28}{'seconds':>10}{'words/s':>14}")
    rows = [("ours (batch 1,024)", t_ours), ("ours, sgns_step checks", t_checked), ("gensim 4.4.0 (C code)", t_gensim)]
    for name, seconds in rows:
        print(f"{name:<28}{seconds:>10.2f}{n_words / seconds:>14,.0f}")
    print(f"checking both tables before every batch would cost {1 - t_ours / t_checked:.0%} of the speed")
    print(f"ours is {ratio:.1f}x slower than gensim (goal: within {GOAL_RATIO:.0f}x)")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
