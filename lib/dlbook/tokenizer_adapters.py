"""Adapters between the book's BPE and the reference libraries (tiktoken, HF ``tokenizers``).

The lesson checks its tokenizer against these: the same vocabulary as a
``tiktoken.Encoding``, Hugging Face's byte-level BPE trained on the same text,
and HF's printable byte alphabet (``"Ġthe"`` for ``" the"``) undone to raw bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise
from typing import Any

from dlbook.checks import check_instance, check_int, check_str
from dlbook.tokenization import BPETokenizer, pretokenize

__all__ = [
    "to_tiktoken",
    "train_hf_byte_level",
    "gpt2_bytes_to_unicode",
    "hf_vocab_bytes",
    "hf_merge_bytes",
    "first_divergence",
]


def _check_special_tokens(special_tokens: Any, vocab_size: int) -> dict[str, int]:
    if special_tokens is None:
        return {}
    if not isinstance(special_tokens, dict):
        raise TypeError(f"special_tokens must be a dict {{text: id}} or None, got {type(special_tokens).__name__}")
    for text, i in special_tokens.items():
        check_str("special_tokens", text, allow_empty=False)
        check_int("special_tokens", i, min_value=vocab_size)
    if len(set(special_tokens.values())) != len(special_tokens):
        raise ValueError(f"special_tokens must have distinct ids, got {special_tokens!r}")
    return special_tokens


def to_tiktoken(
    tokenizer: BPETokenizer, name: str = "dlbook-bpe", *, special_tokens: dict[str, int] | None = None
) -> Any:
    """The same vocabulary as a ``tiktoken.Encoding`` (ranks = our ids, our pattern).

    tiktoken merges by the *rank of the concatenated bytes* (any two adjacent parts
    whose bytes form a token), we by the *pair* learned in training: not the same
    rule (a hand-made table tells them apart), though they agree on the trained
    vocabularies the tests try. ``special_tokens`` maps strings such as
    ``"<|endoftext|>"`` to ids from ``tokenizer.vocab_size`` up; tiktoken cuts them
    out of the text before pre-tokenization, so they are never merged or split.
    """
    import tiktoken

    tokenizer = check_instance("tokenizer", tokenizer, BPETokenizer)
    name = check_str("name", name, allow_empty=False)
    special_tokens = _check_special_tokens(special_tokens, tokenizer.vocab_size)
    if tokenizer.pattern is None:
        raise ValueError("tokenizer must have a pattern: tiktoken always pre-splits")
    ranks: dict[bytes, int] = {}
    for i, data in tokenizer.vocab.items():
        ranks.setdefault(data, i)  # a duplicate byte string keeps its first (lowest) id
    return tiktoken.Encoding(name=name, pat_str=tokenizer.pattern, mergeable_ranks=ranks, special_tokens=special_tokens)


def train_hf_byte_level(text: str, vocab_size: int) -> Any:
    """Hugging Face ``tokenizers``' byte-level BPE (GPT-2 regex) trained on ``text``."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    text = check_str("text", text, allow_empty=False)
    vocab_size = check_int("vocab_size", vocab_size, min_value=256)
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    hf.train_from_iterator([text], trainer=trainer)
    return hf


def gpt2_bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte, as used by HF's ``ByteLevel`` vocabularies.

    Printable Latin-1 bytes stand for themselves; the other 68 bytes (control
    characters, space, ...) map to code points 256 and up, so ``" the"`` is stored
    as ``"Ġthe"``.
    """
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return dict(sorted(table.items()))


def hf_vocab_bytes(hf_tokenizer: Any) -> dict[int, bytes]:
    """The raw bytes of each id of a HF byte-level BPE vocabulary (undoing :func:`gpt2_bytes_to_unicode`)."""
    from tokenizers import Tokenizer

    hf_tokenizer = check_instance("hf_tokenizer", hf_tokenizer, Tokenizer)
    decoder = {c: b for b, c in gpt2_bytes_to_unicode().items()}
    vocab = hf_tokenizer.get_vocab()
    if not all(c in decoder for token in vocab for c in token):
        raise ValueError(
            "hf_tokenizer must be a byte-level BPE (GPT-2 byte alphabet), got tokens outside that alphabet"
        )
    return {i: bytes(decoder[c] for c in token) for token, i in vocab.items()}


def hf_merge_bytes(hf_tokenizer: Any) -> list[tuple[bytes, bytes]]:
    """The merges of a HF byte-level BPE in learned order, each as a pair of raw byte strings."""
    hf_vocab_bytes(hf_tokenizer)  # the same checks: a HF byte-level BPE
    decoder = {c: b for b, c in gpt2_bytes_to_unicode().items()}
    merges = json.loads(hf_tokenizer.to_str())["model"]["merges"]
    return [(bytes(decoder[c] for c in a), bytes(decoder[c] for c in b)) for a, b in merges]


def first_divergence(ours: BPETokenizer, hf_tokenizer: Any, text: str) -> dict[str, Any]:
    r"""Where our merge list and Hugging Face's first differ, with the pair counts there.

    Both trainers learned the first ``k`` merges alike; merge ``k`` differs. Returns
    ``{"k": k, "ours": pair, "hf": pair, "counts": {pair: count}}`` with pairs of byte
    strings, where ``counts`` holds every adjacent pair of ``text`` (pre-split with
    ``ours.pattern``, weighted by chunk frequency) after those ``k`` shared merges:
    the counts both trainers saw when they chose merge ``k``.
    """
    ours = check_instance("ours", ours, BPETokenizer)
    text = check_str("text", text, allow_empty=False)
    hf_merges = hf_merge_bytes(hf_tokenizer)
    our_merges = [(ours.vocab[a], ours.vocab[b]) for a, b in ours.merges]
    k = next((i for i, (x, y) in enumerate(zip(our_merges, hf_merges, strict=False)) if x != y), None)
    if k is None:
        raise ValueError("ours and hf_tokenizer must differ in a merge, got identical merge lists")
    before, counts = ours.truncated(256 + k), Counter()
    for chunk, f in Counter(pretokenize(text, ours.pattern)).items():
        for pair in pairwise(before.token_bytes(chunk)):
            counts[pair] += f
    return {"k": k, "ours": our_merges[k], "hf": hf_merges[k], "counts": dict(counts)}
