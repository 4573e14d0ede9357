"""Tests for dlbook.sentencepiece_bpe: LLaMA-style SentencePiece BPE trained offline."""

from __future__ import annotations

import pytest

from dlbook.corpus import chinese_text, python_docs_corpus
from dlbook.sentencepiece_bpe import LLAMA_TRAINER_OPTIONS, train_sentencepiece_bpe


@pytest.fixture(scope="module")
def text() -> str:
    return python_docs_corpus(max_chars=100_000) + "\n" + chinese_text()


@pytest.fixture(scope="module")
def sp(text: str):
    return train_sentencepiece_bpe(text, 1024)


def test_training_is_deterministic(text, sp):
    assert train_sentencepiece_bpe(text, 1024).serialized_model_proto() == sp.serialized_model_proto()


def test_llama_settings(sp):
    assert LLAMA_TRAINER_OPTIONS["model_type"] == "bpe" and LLAMA_TRAINER_OPTIONS["byte_fallback"]
    assert sp.get_piece_size() == 1024
    assert all(sp.is_byte(3 + b) for b in range(256))


def test_ids_special_then_bytes(sp):
    assert [sp.id_to_piece(i) for i in range(3)] == ["<unk>", "<s>", "</s>"]
    assert [sp.id_to_piece(3 + b) for b in range(256)] == [f"<0x{b:02X}>" for b in range(256)]


def test_space_marker_digits_and_byte_fallback(sp):
    pieces = sp.encode("Hello World 2024", out_type=str)
    assert pieces[0].startswith("▁") and not any(" " in p for p in pieces)
    assert [p for p in pieces if p.strip("▁").isdigit()] == ["2", "0", "2", "4"]
    assert sp.encode("龘", out_type=str) == ["▁", "<0xE9>", "<0xBE>", "<0x98>"]
    for text in ["Hello World", "你好，世界！", "龘 and 🙂", "  x = 1\n\ty", "1234.56"]:
        assert sp.decode(sp.encode(text)) == text


def test_bad_input():
    with pytest.raises(ValueError, match="vocab_size"):
        train_sentencepiece_bpe("abc", 259)
    with pytest.raises(ValueError, match="vocab_size"):
        train_sentencepiece_bpe(chinese_text(), 300)  # fewer ids than characters
    with pytest.raises(ValueError, match="text"):
        train_sentencepiece_bpe(" \n ", 300)
    with pytest.raises(TypeError, match="text"):
        train_sentencepiece_bpe(b"abc", 300)
