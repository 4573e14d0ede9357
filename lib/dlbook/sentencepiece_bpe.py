r"""LLaMA-style SentencePiece BPE, trained offline with the ``sentencepiece`` package.

The LLaMA and LLaMA-2 tokenizers are SentencePiece BPE models: BPE over Unicode
*code points* (not bytes), with these settings of the trainer:

* no regex pre-split; a space becomes the visible piece marker ``▁`` (U+2581)
  and a ``▁`` is put in front of the text (``add_dummy_prefix``), so
  ``"Hello World"`` starts as ``▁Hello▁World``;
* ``split_digits``: every digit is its own piece;
* ``byte_fallback``: a character outside the vocabulary is spelled as its UTF-8
  bytes, the 256 pieces ``<0x00>`` ... ``<0xFF>``, instead of ``<unk>``;
* characters rarer than ``character_coverage`` allows are left out of the base
  alphabet (so they fall back to bytes), text is not normalized and runs of
  spaces are kept.

Training is deterministic with one thread: the same text gives the same model.
"""

from __future__ import annotations

import io
from typing import Any

from dlbook.checks import check_int, check_str

__all__ = ["LLAMA_TRAINER_OPTIONS", "train_sentencepiece_bpe"]

#: The trainer settings of the LLaMA tokenizer family that matter here (its vocabulary
#: is 32,000; ours is small). One thread for a deterministic model.
LLAMA_TRAINER_OPTIONS: dict[str, Any] = {
    "model_type": "bpe",
    "byte_fallback": True,
    "split_digits": True,
    "character_coverage": 0.99995,
    "normalization_rule_name": "identity",
    "remove_extra_whitespaces": False,
    "allow_whitespace_only_pieces": True,
    "add_dummy_prefix": True,
    "num_threads": 1,
}


def train_sentencepiece_bpe(text: str, vocab_size: int) -> Any:
    r"""A SentencePiece BPE model with LLaMA's settings, trained on the lines of ``text``.

    Returns a ``sentencepiece.SentencePieceProcessor``. Its ids are ``<unk>``,
    ``<s>``, ``</s>`` (0, 1, 2), then the 256 byte pieces (3..258), then the
    merged pieces and the single characters. Nothing touches the disk.
    """
    import sentencepiece as spm

    text = check_str("text", text)
    vocab_size = check_int("vocab_size", vocab_size, min_value=260)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("text must contain at least one non-blank line")
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=model,
            vocab_size=vocab_size,
            max_sentence_length=max(len(line.encode("utf-8")) for line in lines),
            minloglevel=2,
            **LLAMA_TRAINER_OPTIONS,
        )
    except RuntimeError as exc:  # e.g. a vocabulary too small for the text's characters
        raise ValueError(f"vocab_size {vocab_size} does not fit this text: {exc}") from exc
    return spm.SentencePieceProcessor(model_proto=model.getvalue())
