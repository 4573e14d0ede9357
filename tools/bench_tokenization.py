"""Benchmark the tokenization chapter: BPE training time and encoding throughput.

Prints one table: our training time beside Hugging Face ``tokenizers`` and
tiktoken's educational trainer, on the Python docs corpus, and our encoding
throughput beside tiktoken's (the same vocabulary loaded into ``tiktoken``).

tiktoken's educational trainer recounts every pair of the corpus after each merge
in pure Python (minutes at vocabulary 2,048 on the whole corpus), so it runs on a
documented slice (the first 50,000 characters, vocabulary 512), and ours is timed
on the same slice for the comparison.

Budget: our training on the whole corpus to vocabulary 2,048 takes at most 5 s.
Exit status 1 when it does not.
"""

from __future__ import annotations

import sys

from benchtime import best_time
from dlbook.corpus import python_docs_corpus
from dlbook.tokenization import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, BPETokenizer
from dlbook.tokenizer_adapters import to_tiktoken, train_hf_byte_level

VOCAB_SIZE = 2048
TRAIN_BUDGET_S = 5.0
EDU_CHARS = 50_000
EDU_VOCAB = 512


def main() -> int:
    from tiktoken._educational import bpe_train

    corpus = python_docs_corpus()
    n_bytes = len(corpus.encode("utf-8"))
    edu_text = corpus[:EDU_CHARS]
    rows: list[tuple[str, str, float]] = []

    t_ours4, ours4 = best_time(lambda: BPETokenizer(GPT4_SPLIT_PATTERN).train(corpus, VOCAB_SIZE))
    t_ours2, ours2 = best_time(lambda: BPETokenizer(GPT2_SPLIT_PATTERN).train(corpus, VOCAB_SIZE))
    t_hf, hf = best_time(lambda: train_hf_byte_level(corpus, VOCAB_SIZE))
    whole = f"whole corpus ({n_bytes / 1e6:.2f} MB), vocab {VOCAB_SIZE}"
    rows += [
        ("train: ours, GPT-4 pattern", whole, t_ours4),
        ("train: ours, GPT-2 pattern", whole, t_ours2),
        ("train: HF tokenizers (GPT-2 regex)", whole, t_hf),
    ]

    t_ours_edu, _ = best_time(lambda: BPETokenizer(GPT4_SPLIT_PATTERN).train(edu_text, EDU_VOCAB))
    t_edu, _ = best_time(lambda: bpe_train(edu_text, EDU_VOCAB, GPT4_SPLIT_PATTERN, visualise=None), repeat=1)
    part = f"first {EDU_CHARS:,} chars, vocab {EDU_VOCAB}"
    rows += [("train: ours, GPT-4 pattern", part, t_ours_edu), ("train: tiktoken._educational", part, t_edu)]

    def encode_cold() -> list[int]:
        ours4._cache.clear()  # time the BPE work, not the per-chunk cache from a previous run
        return ours4.encode(corpus)

    enc = to_tiktoken(ours4)
    t_enc, ids = best_time(encode_cold)
    t_tik, tik_ids = best_time(lambda: enc.encode_ordinary(corpus))
    assert ids == tik_ids, "our encoding differs from tiktoken's on the corpus"
    hf_bpt = n_bytes / len(hf.encode(corpus).ids)
    ours_bpt = n_bytes / len(ours2.encode(corpus))

    print(f"{'what':36s} {'data':40s} {'time':>9s}")
    for what, data, seconds in rows:
        print(f"{what:36s} {data:40s} {seconds:8.3f}s")
    print(f"{'encode: ours (cold cache)':36s} {whole:40s} {t_enc:8.3f}s  {n_bytes / t_enc / 1e6:6.2f} MB/s")
    print(f"{'encode: tiktoken, same ranks':36s} {whole:40s} {t_tik:8.3f}s  {n_bytes / t_tik / 1e6:6.2f} MB/s")
    print(
        f"compression at vocab {VOCAB_SIZE}, GPT-2 pattern: ours {ours_bpt:.4f} bytes/token, "
        f"HF {hf_bpt:.4f} bytes/token ({100 * (ours_bpt - hf_bpt) / hf_bpt:+.3f}%)"
    )
    ok = t_ours4 <= TRAIN_BUDGET_S
    print(
        f"budget: training to vocab {VOCAB_SIZE} <= {TRAIN_BUDGET_S:.0f} s: {'OK' if ok else 'OVER BUDGET'}"
        f" ({t_ours4:.3f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
