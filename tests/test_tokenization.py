"""Tests for dlbook.tokenization: byte-level BPE against tiktoken and HF tokenizers."""

from __future__ import annotations

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlbook.corpus import (
    CHINESE_PARAGRAPHS,
    SAMPLE_TEXTS,
    chinese_text,
    python_docs_corpus,
    python_docs_pages,
    python_docs_split,
    sample_texts,
)
from dlbook.display import show_bytes, tokens_html
from dlbook.tokenization import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPLIT_PATTERN,
    BPETokenizer,
    best_pair,
    bytes_per_token,
    compression_curve,
    merge_pair,
    pair_counts,
    pretokenize,
    text_to_bytes,
    train_merges,
    train_naive,
    train_trace,
)
from dlbook.tokenizer_adapters import (
    first_divergence,
    gpt2_bytes_to_unicode,
    hf_merge_bytes,
    hf_vocab_bytes,
    to_tiktoken,
    train_hf_byte_level,
)

HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that stresses the byte level: any code point except surrogates, plus the hard cases.
any_text = st.text(max_size=200)
hard_text = st.one_of(
    any_text,
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=100),  # control chars
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=100),  # CJK
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=60),  # emoji
    st.builds(
        lambda c, n: c * n, st.sampled_from(["a", " ", "\n", "0", "é", "你", "🙂", "ab", " \n"]), st.integers(0, 3000)
    ),  # very long runs
)


@pytest.fixture(scope="module")
def corpus() -> str:
    return python_docs_corpus()


@pytest.fixture(scope="module")
def gpt4_tok(corpus: str) -> BPETokenizer:
    return BPETokenizer(GPT4_SPLIT_PATTERN).train(corpus[:150_000], 1024)


@pytest.fixture(scope="module")
def gpt2_tok(corpus: str) -> BPETokenizer:
    return BPETokenizer(GPT2_SPLIT_PATTERN).train(corpus[:150_000], 1024)


# ----------------------------------------------------------------------------- corpus


def test_corpus_is_deterministic_and_large():
    text = python_docs_corpus()
    assert text == python_docs_corpus()
    assert len(text.encode("utf-8")) > 400_000
    assert python_docs_corpus(max_chars=100) == text[:100]
    samples = sample_texts()
    assert list(samples) == list(SAMPLE_TEXTS)
    assert any("\u4e00" <= c <= "\u9fff" for c in samples["Chinese"])
    assert any(len(c.encode("utf-8")) == 4 for c in samples["Emoji"])


def test_page_split_is_seeded_disjoint_and_complete():
    pages = python_docs_pages()
    assert "\n\n".join(pages.values()) + "\n" == python_docs_corpus()
    train, held = python_docs_split(0.1, seed=0)
    assert (train, held) == python_docs_split(0.1, seed=0)
    assert python_docs_split(0.1, seed=1) != (train, held)
    held_pages = [key for key, page in pages.items() if page in held]
    assert len(held_pages) == round(0.1 * len(pages))
    # two separators "\n\n" fewer, one more final "\n"
    assert len(train) + len(held) == len(python_docs_corpus()) - 1
    assert held_pages != sorted(pages)[-len(held_pages) :]  # not the sorted tail
    with pytest.raises(ValueError, match="held_out"):
        python_docs_split(1.0)


def test_chinese_text_is_the_books_paragraphs():
    text = chinese_text()
    assert text.splitlines() == list(CHINESE_PARAGRAPHS)
    han = regex.findall(r"\p{Han}", text)
    assert len(han) > 800 and len(han) > 0.8 * len(text.replace("\n", ""))


def test_corpus_rejects_bad_max_chars():
    with pytest.raises(ValueError, match="max_chars"):
        python_docs_corpus(max_chars=0)
    with pytest.raises(TypeError, match="max_chars"):
        python_docs_corpus(max_chars="10")


# ----------------------------------------------------------------------------- the small steps


def test_bytes_are_the_starting_ids():
    assert text_to_bytes("a") == [97]
    assert len(text_to_bytes("你")) == 3
    assert len(text_to_bytes("🙂")) == 4


def test_pair_counts_and_merge_pair_by_hand():
    ids = [1, 1, 1, 2, 1, 1]
    assert pair_counts(ids) == {(1, 1): 3, (1, 2): 1, (2, 1): 1}
    assert merge_pair(ids, (1, 1), 9) == [9, 1, 2, 9]
    assert merge_pair([1, 1, 1, 1], (1, 1), 9) == [9, 9]
    assert best_pair({(3, 4): 2, (1, 5): 2, (0, 0): 1}) == (1, 5)  # tie -> smallest pair


def test_wikipedia_example():
    """minbpe's test: ``aaabdaaabac`` with 3 merges and no pre-split."""
    tok = BPETokenizer(pattern=None).train("aaabdaaabac", 256 + 3)
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
    assert tok.decode(tok.encode("aaabdaaabac")) == "aaabdaaabac"
    # Ties broken by the smallest pair give Wikipedia's merges: Z=aa, Y=ab, X=ZY.
    assert tok.merges == {(97, 97): 256, (97, 98): 257, (256, 257): 258}
    trace = train_trace("aaabdaaabac", 259)
    assert [step["pair"] for step in trace] == [(97, 97), (97, 98), (256, 257), None]
    assert trace[-1]["words"] == [[258, 100, 258, 97, 99]]


def test_pretokenize_covers_text_and_splits_words():
    text = "Hello world's 12345 tokens!!\n\n  x"
    for pattern in (GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN):
        assert "".join(pretokenize(text, pattern)) == text
    assert pretokenize("Hello world", GPT2_SPLIT_PATTERN) == ["Hello", " world"]
    assert pretokenize("12345", GPT4_SPLIT_PATTERN) == ["123", "45"]  # digits in groups of 3
    assert pretokenize("12345", GPT2_SPLIT_PATTERN) == ["12345"]
    assert pretokenize("x", None) == ["x"]
    assert pretokenize("", None) == []


@pytest.mark.parametrize("pattern", [GPT4_SPLIT_PATTERN, GPT2_SPLIT_PATTERN, None])
def test_fast_training_equals_naive_on_corpus(corpus, pattern):
    text = corpus[:20_000]
    assert train_merges(text, 400, pattern=pattern) == train_naive(text, 400, pattern=pattern)


@HYPOTHESIS
@given(text=st.text(alphabet="ab c\nd1é", max_size=80), pattern=st.sampled_from([None, GPT4_SPLIT_PATTERN]))
def test_fast_training_equals_naive_on_random_text(text, pattern):
    assert train_merges(text, 300, pattern=pattern) == train_naive(text, 300, pattern=pattern)


def test_training_stops_when_no_pairs_are_left():
    tok = BPETokenizer(None).train("abab", 1000)
    assert tok.vocab_size < 1000
    assert tok.encode("abab") == [max(tok.vocab)]


def test_truncated_equals_smaller_training(corpus):
    text = corpus[:30_000]
    big = BPETokenizer().train(text, 600)
    small = BPETokenizer().train(text, 400)
    assert big.truncated(400).merges == small.merges
    curve = compression_curve(big, text, [256, 400, 600])
    assert curve[0] == pytest.approx(1.0) and curve[0] < curve[1] < curve[2]


def test_vocab_is_the_bytes_of_the_merges(gpt4_tok):
    assert len(gpt4_tok.vocab) == gpt4_tok.vocab_size == 1024
    assert all(gpt4_tok.vocab[i] == bytes([i]) for i in range(256))
    for (a, b), new_id in gpt4_tok.merges.items():
        assert gpt4_tok.vocab[new_id] == gpt4_tok.vocab[a] + gpt4_tok.vocab[b]
        assert a < new_id and b < new_id
    assert sorted(gpt4_tok.merges.values()) == list(range(256, 1024))


# ----------------------------------------------------------------------------- round trip


@HYPOTHESIS
@given(text=hard_text)
def test_decode_inverts_encode(gpt4_tok, text):
    assert gpt4_tok.decode(gpt4_tok.encode(text)) == text


@pytest.fixture(scope="module")
def none_tok(corpus: str) -> BPETokenizer:
    return BPETokenizer(None).train(corpus[:30_000], 600)


@HYPOTHESIS
@given(text=hard_text)
def test_long_chunk_encoder_equals_round_by_round(gpt4_tok, none_tok, text):
    data = text.encode("utf-8")
    for tok in (gpt4_tok, none_tok):
        assert tok.encode_long_chunk(data) == tok.encode_chunk(data)


def test_no_pre_split_round_trip_on_training_text(corpus, none_tok):
    text = corpus[:30_000]
    ids = none_tok.encode(text)
    assert none_tok.decode(ids) == text
    assert ids == none_tok.encode_chunk(text.encode("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🙂👩‍💻🇫🇷",
        "你好，世界！",
        "\x00\x01\x7f\u200b",
        "a" * 10_000,
        " " * 5_000,
        "\n" * 3_000,
        *SAMPLE_TEXTS.values(),
    ],
)
def test_decode_inverts_encode_on_hard_cases(gpt4_tok, gpt2_tok, text):
    for tok in (gpt4_tok, gpt2_tok, BPETokenizer(None).train("aaabdaaabac", 259)):
        assert tok.decode(tok.encode(text)) == text


def test_decode_invalid_utf8_uses_replacement(gpt4_tok):
    assert gpt4_tok.decode([0xFF]) == "\ufffd"
    first_byte = "你".encode()[0]
    assert gpt4_tok.decode([first_byte]) == "\ufffd"
    assert gpt4_tok.decode([]) == ""


def test_chinese_and_emoji_take_several_byte_ids(gpt4_tok):
    assert len(gpt4_tok.encode("你")) == 3  # no Chinese in the corpus: one id per byte
    assert len(gpt4_tok.encode("🙂")) == 4


# ----------------------------------------------------------------------------- tiktoken


@pytest.mark.parametrize("which", ["gpt4_tok", "gpt2_tok"])
def test_encode_equals_tiktoken_on_corpus(request, corpus, which):
    tok = request.getfixturevalue(which)
    enc = to_tiktoken(tok)
    assert enc.encode_ordinary(corpus) == tok.encode(corpus)


@HYPOTHESIS
@given(text=hard_text)
def test_encode_equals_tiktoken_on_random_text(gpt4_tok, gpt2_tok, text):
    for tok in (gpt4_tok, gpt2_tok):
        assert to_tiktoken(tok).encode_ordinary(text) == tok.encode(text)


def test_hand_made_merge_table_where_tiktoken_differs():
    """Merge order vs byte rank: the pinned divergence (not reachable by training).

    ``bc`` is learned first (256), then ``ab`` (257), then ``ab + c`` (258). Replaying
    merges on ``abc`` gives ``a | bc`` and stops, because ``(a, bc)`` is not a learned
    pair. tiktoken looks up the *bytes* ``abc``, finds rank 258 and returns one token.
    Training cannot produce this table: once ``bc`` exists, ``ab`` is never followed
    by a lone ``c`` in the training data, so ``(ab, c)`` would have count zero.
    """
    a, b, c = 97, 98, 99
    tok = BPETokenizer.from_merges({(b, c): 256, (a, b): 257, (257, c): 258}, pattern=GPT4_SPLIT_PATTERN)
    assert tok.encode("abc") == [a, 256]
    assert to_tiktoken(tok).encode_ordinary("abc") == [258]
    # The tell-tale sign: token 258 cannot be produced from its own bytes by replaying merges.
    assert tok.encode_chunk(tok.vocab[258]) != [258]


def test_every_trained_token_encodes_to_itself(gpt4_tok, gpt2_tok):
    """What a trained table guarantees and the hand-made one above lacks."""
    for tok in (gpt4_tok, gpt2_tok):
        assert all(tok.encode_chunk(data) == [i] for i, data in tok.vocab.items())


def test_special_tokens_bypass_merging(gpt4_tok):
    eot = gpt4_tok.vocab_size
    enc = to_tiktoken(gpt4_tok, special_tokens={"<|endoftext|>": eot})
    doc = "the end<|endoftext|><|endoftext|>The start"
    assert enc.encode(doc, allowed_special="all") == gpt4_tok.encode("the end") + [eot, eot] + gpt4_tok.encode(
        "The start"
    )
    assert enc.encode_ordinary(doc) == gpt4_tok.encode(doc)
    with pytest.raises(ValueError, match="special_tokens"):
        to_tiktoken(gpt4_tok, special_tokens={"<|endoftext|>": eot - 1})  # collides with a merge


def test_trained_vocab_has_no_duplicate_tokens(corpus):
    tok = BPETokenizer().train(corpus, 2048)
    assert len(set(tok.vocab.values())) == len(tok.vocab)
    assert to_tiktoken(tok).encode_ordinary(corpus) == tok.encode(corpus)


# ----------------------------------------------------------------------------- HF tokenizers


@pytest.mark.parametrize("vocab_size", [512, 1024, 2048])
def test_compression_matches_hf_tokenizers(corpus, vocab_size):
    ours = BPETokenizer(GPT2_SPLIT_PATTERN).train(corpus, vocab_size)
    hf = train_hf_byte_level(corpus, vocab_size)
    assert hf.get_vocab_size() == vocab_size == ours.vocab_size
    ours_bpt = bytes_per_token(ours, corpus)
    hf_bpt = len(corpus.encode("utf-8")) / len(hf.encode(corpus).ids)
    assert abs(ours_bpt - hf_bpt) / hf_bpt < 0.02
    shared = set(ours.vocab.values()) & set(hf_vocab_bytes(hf).values())
    assert len(shared) > 0.9 * vocab_size  # mostly the same tokens, too


def test_hf_and_ours_part_at_a_tie_broken_in_their_own_ids(corpus):
    """The first merge where the two trainers differ is a tie; each takes its smallest pair."""
    text = corpus[:150_000]
    ours = BPETokenizer(GPT2_SPLIT_PATTERN).train(text, 1024)
    hf = train_hf_byte_level(text, 1024)
    split = first_divergence(ours, hf, text)
    counts, k = split["counts"], split["k"]
    hf_merges, our_merges = hf_merge_bytes(hf), [(ours.vocab[a], ours.vocab[b]) for a, b in ours.merges]
    assert hf_merges[:k] == our_merges[:k] and (split["ours"], split["hf"]) == (our_merges[k], hf_merges[k])
    assert counts[our_merges[k]] == counts[hf_merges[k]] == max(counts.values())
    hf_id = {data: i for i, data in hf_vocab_bytes(hf).items()}
    our_id = {data: i for i, data in ours.vocab.items()}
    assert tuple(hf_id[p] for p in hf_merges[k]) < tuple(hf_id[p] for p in our_merges[k])
    assert tuple(our_id[p] for p in our_merges[k]) < tuple(our_id[p] for p in hf_merges[k])


def test_hf_numbers_single_bytes_in_gpt2_order(corpus):
    """GPT-2's ids of the 256 bytes follow its printable stand-ins: "!" is 0, the space 220."""
    hf = train_hf_byte_level(corpus[:20_000], 300)
    table = gpt2_bytes_to_unicode()
    ids = [hf.token_to_id(table[b]) for b in range(256)]
    order = sorted(range(256), key=lambda b: table[b])
    assert ids == [order.index(b) for b in range(256)]
    assert ids[ord("!")] == 0 and ids[ord(" ")] == 220 and ids[0] == 188


def test_gpt2_byte_alphabet_matches_hf():
    from tokenizers import pre_tokenizers

    table = gpt2_bytes_to_unicode()
    assert sorted(table) == list(range(256)) and len(set(table.values())) == 256
    assert set(table.values()) == set(pre_tokenizers.ByteLevel.alphabet())
    assert table[ord(" ")] == "Ġ"
    with pytest.raises(TypeError, match="hf_tokenizer"):
        hf_vocab_bytes("nope")
    with pytest.raises(TypeError, match="hf_tokenizer"):
        hf_merge_bytes("nope")


def test_first_divergence_rejects_bad_input(corpus):
    text = corpus[:5_000]
    ours, hf = BPETokenizer(GPT2_SPLIT_PATTERN).train(text, 300), train_hf_byte_level(text, 300)
    with pytest.raises(TypeError, match="ours"):
        first_divergence("nope", hf, text)
    with pytest.raises(TypeError, match="hf_tokenizer"):
        first_divergence(ours, "nope", text)
    with pytest.raises(ValueError, match="text"):
        first_divergence(ours, hf, "")
    with pytest.raises(ValueError, match="identical merge lists"):
        first_divergence(ours.truncated(257), hf, text)


# ----------------------------------------------------------------------------- save / load


def test_save_load_round_trip(tmp_path, gpt4_tok):
    path = tmp_path / "tok.bpe"
    gpt4_tok.save(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "dlbook-bpe v1" and len(lines) == 2 + len(gpt4_tok.merges)
    loaded = BPETokenizer.load(path)
    assert loaded.merges == gpt4_tok.merges and loaded.pattern == gpt4_tok.pattern
    text = SAMPLE_TEXTS["Python code"]
    assert loaded.encode(text) == gpt4_tok.encode(text)
    none = BPETokenizer(None).train("aaabdaaabac", 259)
    none.save(tmp_path / "none.bpe")
    assert BPETokenizer.load(str(tmp_path / "none.bpe")).pattern is None


@pytest.mark.parametrize(
    "content, line",
    [
        ("", 1),
        ("not a tokenizer\n", 1),
        ("dlbook-bpe v1\n", 2),
        ("dlbook-bpe v1\npattern {oops\n", 2),
        ("dlbook-bpe v1\npattern 42\n", 2),
        ('dlbook-bpe v1\npattern "("\n', 2),
        ("dlbook-bpe v1\npattern null\n97 97\n97\n", 4),
        ("dlbook-bpe v1\npattern null\n97 x\n", 3),
        ("dlbook-bpe v1\npattern null\n97 -1\n", 3),
        ("dlbook-bpe v1\npattern null\n97 256\n", 3),
        ("dlbook-bpe v1\npattern null\n97 97\n97 97\n", 4),
    ],
)
def test_corrupt_file_names_path_and_line(tmp_path, content, line):
    path = tmp_path / "bad.bpe"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"bad\.bpe.*line {line}"):
        BPETokenizer.load(path)


def test_binary_file_is_a_value_error(tmp_path):
    path = tmp_path / "bin.bpe"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="bin.bpe"):
        BPETokenizer.load(path)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "vocab_size, error",
    [
        (255, ValueError),
        (0, ValueError),
        (-3, ValueError),
        (300.0, TypeError),
        ("300", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_bad_vocab_size(vocab_size, error):
    with pytest.raises(error, match="vocab_size"):
        BPETokenizer().train("hello", vocab_size)
    with pytest.raises(error, match="vocab_size"):
        BPETokenizer().truncated(vocab_size)


@pytest.mark.parametrize("text", [b"hello", None, 42, ["a"]])
def test_non_str_text(text):
    with pytest.raises(TypeError, match="text"):
        BPETokenizer().train(text, 300)
    with pytest.raises(TypeError, match="text"):
        BPETokenizer().encode(text)
    with pytest.raises(TypeError, match="text"):
        pretokenize(text)


@pytest.mark.parametrize("ids", [[256], [-1], [0, 10**9]])
def test_decode_ids_outside_vocab(ids):
    with pytest.raises(ValueError, match="ids"):
        BPETokenizer().decode(ids)


@pytest.mark.parametrize("ids", ["abc", 5, [1.5], [None], [True]])
def test_decode_non_int_ids(ids):
    with pytest.raises(TypeError, match="ids"):
        BPETokenizer().decode(ids)


def test_bad_pattern_and_merges():
    with pytest.raises(TypeError, match="pattern"):
        BPETokenizer(pattern=3)
    with pytest.raises(ValueError, match="pattern"):
        BPETokenizer(pattern="(")
    with pytest.raises(ValueError, match="merges"):
        BPETokenizer.from_merges({(97, 97): 300})
    with pytest.raises(ValueError, match="merges"):
        BPETokenizer.from_merges({(97, 400): 256})
    with pytest.raises(TypeError, match="merges"):
        BPETokenizer.from_merges([((97, 97), 256)])
    with pytest.raises(TypeError, match="path"):
        BPETokenizer().save(3)
    with pytest.raises(TypeError, match="tokenizer"):
        bytes_per_token("not a tokenizer", "text")
    with pytest.raises(ValueError, match="text"):
        bytes_per_token(BPETokenizer(), "")
    with pytest.raises(ValueError, match="tokenizer"):
        to_tiktoken(BPETokenizer(None))


# ----------------------------------------------------------------------------- display


def test_tokens_html_shows_spaces_and_partial_bytes():
    out = tokens_html([b"Hello", b" world", "你".encode()[:2], b"<&>"], title="demo")
    assert "·world" in out and "&lt;e4 bd&gt;" in out and "&lt;&amp;&gt;" in out and "demo" in out
    assert show_bytes(b"ok") == "ok" and show_bytes(b"\xff") == "<ff>"
