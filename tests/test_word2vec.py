"""Tests for dlbook.word2vec: SGNS from scratch against gensim, autograd and the PMI theory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gensim.models import Word2Vec as GensimWord2Vec
from hypothesis import given
from hypothesis import strategies as st

from dlbook import word2vec
from dlbook.word2vec import (
    PLANTED_FAMILIES,
    Vocab,
    build_vocab,
    keep_probability,
    noise_distribution,
    pair_counts,
    paper_keep_probability,
    planted_corpus,
    sgns_loss_and_grads,
    shifted_pmi,
    skipgram_pairs,
    train_sgns,
)

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "sat", "on", "the", "mat"], ["a", "cat"]]


@pytest.fixture(scope="module")
def planted() -> tuple[list[list[str]], list[tuple[str, str, str, str]]]:
    return planted_corpus(5000, seed=0)


@pytest.fixture(scope="module")
def ours(planted):
    return train_sgns(planted[0], dim=20, epochs=5, batch_size=256, seed=0)


def gensim_model(sentences, **kw) -> GensimWord2Vec:
    options = dict(sg=1, vector_size=20, window=5, negative=5, epochs=5, min_count=1, sample=0.0, workers=1, seed=0)
    return GensimWord2Vec(sentences, **{**options, **kw})


# ----------------------------------------------------------------------------- vocabulary, noise, subsampling


def test_vocab_orders_by_count_then_alphabet():
    vocab = build_vocab(SENTENCES)
    assert vocab.words[:3] == ["the", "cat", "sat"]  # 3, then 2 and 2 alphabetically
    assert vocab.counts.tolist() == [3, 2, 2, 1, 1, 1, 1]
    assert all(vocab.index[w] == i for i, w in enumerate(vocab.words))
    assert build_vocab(SENTENCES, min_count=2).words == ["the", "cat", "sat"]


def test_vocab_counts_equal_gensims(planted):
    vocab = build_vocab(planted[0], min_count=3)
    model = gensim_model(planted[0], min_count=3, epochs=1)
    assert sorted(vocab.words) == sorted(model.wv.index_to_key)
    assert all(model.wv.get_vecattr(w, "count") == n for w, n in zip(vocab.words, vocab.counts, strict=True))


def test_noise_and_keep_probability_equal_gensims_tables(planted):
    sentences = planted[0]
    model = gensim_model(sentences, sample=1e-3, epochs=1)
    vocab = build_vocab(sentences)
    order = [vocab.index[w] for w in model.wv.index_to_key]  # gensim's ids -> ours
    cum = model.cum_table.astype(np.float64)
    gensim_noise = np.diff(cum, prepend=0.0) / (2**31 - 1)
    assert np.abs(noise_distribution(vocab.counts)[order] - gensim_noise).max() < 1e-9
    sample_int = np.array([model.wv.get_vecattr(w, "sample_int") for w in model.wv.index_to_key], dtype=np.float64)
    assert np.abs(keep_probability(vocab.counts, 1e-3)[order] - sample_int / (2**32 - 1)).max() < 1e-9
    assert (keep_probability(vocab.counts, 1e-3) < 1).any()  # the comparison covers subsampled words


def test_paper_keep_probability_is_the_papers_formula():
    """Mikolov et al. (2013b) drop a word of frequency f = count / N with 1 - sqrt(t / f)."""
    counts, t = np.array([600, 300, 90, 10]), 0.01
    f = counts / counts.sum()
    assert np.allclose(paper_keep_probability(counts, t), [np.sqrt(t / x) if x > t else 1.0 for x in f])
    assert paper_keep_probability(counts, t)[0] == pytest.approx(np.sqrt(0.01 / 0.6))


def test_noise_distribution_powers():
    counts = np.array([9, 3, 1])
    assert np.allclose(noise_distribution(counts, power=1.0), counts / 13)
    assert np.allclose(noise_distribution(counts, power=0.0), 1 / 3)
    assert np.isclose(noise_distribution(counts).sum(), 1.0)


@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=30), st.floats(1e-6, 1e-1))
def test_keep_probabilities_lie_in_0_1_and_code_keeps_more_than_paper(counts, sample):
    counts = np.array(counts)
    code, paper = keep_probability(counts, sample), paper_keep_probability(counts, sample)
    assert ((code > 0) & (code <= 1)).all() and ((paper > 0) & (paper <= 1)).all()
    assert (code >= paper - 1e-12).all()  # sqrt(tN/f) + tN/f >= sqrt(tN/f)
    assert np.allclose(keep_probability(counts, 0.0), 1.0)


# ----------------------------------------------------------------------------- pairs, loss, embedding


def test_embedding_lookup_is_one_hot_times_matrix():
    torch.manual_seed(0)
    table = torch.nn.Embedding(7, 4)
    ids = torch.tensor([3, 0, 6, 3])
    one_hot = torch.nn.functional.one_hot(ids, 7).float()
    assert torch.equal(table(ids), one_hot @ table.weight)


def test_window_one_pairs_are_the_neighbours():
    sentence_of = np.array([0, 0, 0, 1, 1])
    centre, context = skipgram_pairs(sentence_of, window=1, rng=np.random.default_rng(0))
    got = sorted(zip(centre.tolist(), context.tolist(), strict=True))
    assert got == [(0, 1), (1, 0), (1, 2), (2, 1), (3, 4), (4, 3)]


def test_skipgram_pairs_equal_an_explicit_loop_over_the_drawn_windows():
    """Centre i pairs with every j != i of its sentence with |i - j| <= b_i, its drawn window, in text order."""
    sentence_of = np.repeat(np.arange(4), [7, 1, 5, 9])
    window, seed = 3, 5
    # skipgram_pairs draws the windows first, one per token, uniformly in 1..window
    reach = np.random.default_rng(seed).integers(1, window + 1, size=len(sentence_of))
    expected = [
        (i, j)
        for i in range(len(sentence_of))
        for j in range(i - reach[i], i + reach[i] + 1)
        if j != i and 0 <= j < len(sentence_of) and sentence_of[j] == sentence_of[i]
    ]
    centre, context = skipgram_pairs(sentence_of, window=window, rng=np.random.default_rng(seed))
    assert list(zip(centre.tolist(), context.tolist(), strict=True)) == expected
    assert len(set(reach.tolist())) == window  # every window size occurs


def test_pair_counts_equal_a_brute_force_count():
    """Expected #(w, c): each context at distance d <= W weighs (W - d + 1) / W; unknown words are dropped first."""
    sentences = [["a", "b", "a", "c", "x", "b"], ["c", "a"], ["b"], ["a", "b", "c", "a", "a", "b", "c"]]
    vocab = build_vocab([[t for t in s if t != "x"] for s in sentences])  # "x" is not in the vocabulary
    window = 3
    expected = np.zeros((len(vocab), len(vocab)))
    for sentence in sentences:
        ids = [vocab.index[t] for t in sentence if t in vocab.index]
        for i, w in enumerate(ids):
            for j, c in enumerate(ids):
                if 0 < abs(i - j) <= window:
                    expected[w, c] += (window - abs(i - j) + 1) / window
    assert np.allclose(pair_counts(sentences, vocab, window=window), expected, rtol=0, atol=1e-12)


def test_pair_counts_are_the_mean_of_the_sampled_pairs():
    """Averaged over many draws of the dynamic window, skipgram_pairs counts converge to pair_counts."""
    sentences = [["a", "b", "c", "d", "e", "f"]] * 2000
    vocab = build_vocab(sentences)
    tokens = np.array([vocab.index[t] for s in sentences for t in s])
    sentence_of = np.repeat(np.arange(len(sentences)), 6)
    centre, context = skipgram_pairs(sentence_of, window=3, rng=np.random.default_rng(1))
    seen = np.zeros((6, 6))
    np.add.at(seen, (tokens[centre], tokens[context]), 1)
    expected = pair_counts(sentences, vocab, window=3)
    # a pair (w, c) at distance d is drawn with p = (W - d + 1) / W per occurrence: binomial spread
    occurrences = np.zeros((6, 6))
    for d in (1, 2, 3):
        for i in range(6 - d):
            occurrences[i, i + d] = occurrences[i + d, i] = len(sentences)
    p = np.divide(expected, occurrences, out=np.zeros_like(expected), where=occurrences > 0)
    sd = np.sqrt(occurrences * p * (1 - p))
    assert (np.abs(seen - expected) <= 4 * sd + 1e-9).all()
    assert expected[vocab.index["a"], vocab.index["d"]] == pytest.approx(2000 / 3)  # distance 3 of 3: (3-3+1)/3


def test_epoch_pairs_subsample_with_keep_probability_and_draw_noise_from_p_n():
    """Each occurrence is kept with keep_probability (Binomial spread) and noise ids follow noise_distribution."""
    rng = np.random.default_rng(0)
    counts = np.array([40_000, 12_000, 3_000, 500, 50])
    tokens = rng.permutation(np.repeat(np.arange(5), counts))
    keep = keep_probability(counts, 1e-2)
    noise_p = noise_distribution(counts)
    assert (keep < 1).sum() >= 2 and (keep == 1).sum() >= 2  # both cases are exercised
    centre, _, noise = word2vec._epoch_pairs(
        tokens, np.zeros(len(tokens), dtype=np.int64), keep, np.cumsum(noise_p), 1, 3, np.random.default_rng(1)
    )
    # one sentence, window 1: a kept token is a centre twice (once at either end of the kept stream)
    as_centre = np.bincount(centre.numpy(), minlength=5)
    kept = (as_centre + 1) / 2  # within 1/2 of the kept count
    sd = np.sqrt(counts * keep * (1 - keep))
    assert (np.abs(kept - counts * keep) <= 4 * sd + 0.5).all()
    assert (as_centre[keep == 1] >= 2 * counts[keep == 1] - 2).all()  # never dropped
    drawn = np.bincount(noise.numpy().ravel(), minlength=5)
    n = noise.numel()
    assert (np.abs(drawn - n * noise_p) <= 4 * np.sqrt(n * noise_p * (1 - noise_p))).all()


@pytest.mark.parametrize("masked", [False, True])
def test_sgns_gradients_equal_autograd(masked):
    """Loss and gradients equal autograd's; a noise word with real = 0 adds nothing to either."""
    g = torch.Generator().manual_seed(0)
    v, u, n = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g), torch.randn(6, 3, 5, generator=g)
    real = (torch.rand(6, 3, generator=g) < 0.7).float() if masked else None
    loss, g_v, g_u, g_n = sgns_loss_and_grads(v, u, n, real)
    leaves = [t.clone().requires_grad_() for t in (v, u, n)]
    weight = torch.ones(6, 3) if real is None else real
    ref = (
        -F.logsigmoid((leaves[0] * leaves[1]).sum(1)).sum()
        - (weight * F.logsigmoid(-torch.einsum("bkd,bd->bk", leaves[2], leaves[0]))).sum()
    )
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-6)
    for mine, leaf in zip((g_v, g_u, g_n), leaves, strict=True):
        assert torch.allclose(mine, leaf.grad, atol=1e-6)
    if masked:
        assert 0 < real.sum() < real.numel() and (g_n[real == 0] == 0).all()


def test_sgns_step_is_an_sgd_step_on_the_autograd_loss():
    """One step equals w - rate * autograd gradient, repeated words and a noise word equal to the context included."""
    g = torch.Generator().manual_seed(0)
    w_in, w_out = torch.randn(6, 3, generator=g), torch.randn(6, 3, generator=g)
    centre, context = torch.tensor([0, 0, 2, 5]), torch.tensor([1, 3, 1, 4])
    noise = torch.tensor([[2, 1], [4, 4], [1, 0], [3, 2]])  # two noise words equal their context: masked
    leaves = [w_in.clone().requires_grad_(), w_out.clone().requires_grad_()]
    real = (noise != context[:, None]).float()
    s_pos = (leaves[0][centre] * leaves[1][context]).sum(1)
    s_neg = torch.einsum("bkd,bd->bk", leaves[1][noise], leaves[0][centre])
    loss = -F.logsigmoid(s_pos).sum() - (real * F.logsigmoid(-s_neg)).sum()
    loss.backward()
    step_loss = word2vec.sgns_step(w_in, w_out, centre, context, noise, 0.1)
    # a masked noise word adds nothing to the loss nor to the gradients
    assert (real == 0).sum() == 2 and step_loss == pytest.approx(loss.item(), rel=1e-6)
    assert torch.allclose(w_in, leaves[0].detach() - 0.1 * leaves[0].grad, atol=1e-6)
    assert torch.allclose(w_out, leaves[1].detach() - 0.1 * leaves[1].grad, atol=1e-6)


def test_shifted_pmi_by_hand():
    counts = np.array([[0.0, 2.0], [2.0, 6.0]])
    noise = np.array([0.25, 0.75])
    pmi = shifted_pmi(counts, noise, negative=2)
    assert pmi[0, 0] == -np.inf
    assert pmi[0, 1] == pytest.approx(np.log(2 / (2 * 0.75)) - np.log(2))
    assert pmi[1, 1] == pytest.approx(np.log(6 / (8 * 0.75)) - np.log(2))


# ----------------------------------------------------------------------------- training


def test_training_is_deterministic():
    a = train_sgns(SENTENCES * 20, dim=8, epochs=2, seed=3)
    b = train_sgns(SENTENCES * 20, dim=8, epochs=2, seed=3)
    c = train_sgns(SENTENCES * 20, dim=8, epochs=2, seed=4)
    assert np.array_equal(a.input_vectors, b.input_vectors) and np.array_equal(a.output_vectors, b.output_vectors)
    assert not np.array_equal(a.input_vectors, c.input_vectors)


def test_snapshots_and_losses():
    model = train_sgns(SENTENCES * 50, dim=8, epochs=2, snapshots=4, sample=1e-2)
    assert len(model.snapshots) == 5 and model.snapshot_at[0] == 0.0 and model.snapshot_at[-1] == pytest.approx(1.0)
    assert np.array_equal(model.snapshots[-1], model.input_vectors)
    assert len(model.losses) == 2


def test_loss_falls_every_epoch_from_its_value_at_the_start(ours):
    """Output vectors start at zero, so every score is 0 and a pair costs (1 + k) log 2 before any step."""
    losses = np.array(ours.losses)
    assert len(losses) == 5 and (np.diff(losses) < 0).all() and losses[0] < 6 * np.log(2)


def test_planted_analogies_and_neighbourhoods_ours_and_gensim(planted, ours):
    sentences, quads = planted
    assert len(quads) >= 20 and all(len(set(q)) == 4 for q in quads)
    solved = np.mean([ours.analogy(a, b, c) == [d] for a, b, c, d in quads])
    ref = gensim_model(sentences)
    solved_ref = np.mean(
        [ref.wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d for a, b, c, d in quads]
    )
    assert solved >= 0.95 and solved_ref >= 0.95
    for sim in (ours.similarity, ref.wv.similarity):
        assert sim("cat", "kitten") > sim("dog", "kitten") > sim("iphone", "kitten")


def test_most_similar_and_analogy_agree_with_gensims_formulas(ours):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(ours.input_vectors.shape[1])
    kv.add_vectors(ours.vocab.words, ours.input_vectors)
    mine = ours.most_similar("king", topn=5)
    theirs = kv.most_similar("king", topn=5)
    assert [w for w, _ in mine] == [w for w, _ in theirs]
    assert np.allclose([s for _, s in mine], [s for _, s in theirs], atol=1e-5)
    assert ours.analogy("man", "woman", "king", topn=3) == [
        w for w, _ in kv.most_similar(positive=["woman", "king"], negative=["man"], topn=3)
    ]
    assert "king" not in [w for w, _ in mine]
    assert ours.similarity("cat", "kitten") == pytest.approx(float(kv.similarity("cat", "kitten")), abs=1e-6)


def test_dot_products_follow_shifted_pmi(planted, ours):
    counts = pair_counts(planted[0], ours.vocab, window=5)
    target = shifted_pmi(counts, noise_distribution(ours.vocab.counts), negative=5)
    well = counts >= 20
    dots = ours.input_vectors @ ours.output_vectors.T
    assert well.sum() > 500
    assert np.corrcoef(dots[well], target[well])[0, 1] >= 0.95


def test_planted_corpus_is_seeded_and_structured():
    a, quads = planted_corpus(50, seed=1)
    b, _ = planted_corpus(50, seed=1)
    assert a == b and a != planted_corpus(50, seed=2)[0]
    planted_words = {w for family in PLANTED_FAMILIES.values() for w in family}
    assert all(sum(t in planted_words for t in s) == 1 for s in a)
    assert ("man", "woman", "king", "queen") in quads or ("king", "queen", "man", "woman") in quads


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sentences": []}, "sentences"),
        ({"sentences": [[]]}, "sentences"),
        ({"sentences": "the cat"}, "sentences"),
        ({"dim": 0}, "dim"),
        ({"window": 0}, "window"),
        ({"negative": 0}, "negative"),
        ({"epochs": 0}, "epochs"),
        ({"sample": -1e-3}, "sample"),
        ({"lr": 0.0}, "lr"),
        ({"min_count": 0}, "min_count"),
        ({"min_count": 99}, "min_count"),
    ],
)
def test_train_sgns_refuses_bad_input(kwargs, name):
    args = {"sentences": SENTENCES, **kwargs}
    with pytest.raises((ValueError, TypeError), match=name):
        train_sgns(**args, epochs=args.pop("epochs", 1))


def test_other_bad_input():
    with pytest.raises(ValueError, match="power"):
        noise_distribution(np.array([1, 2]), power=-0.5)
    with pytest.raises(ValueError, match="sample"):
        keep_probability(np.array([1, 2]), sample=-1.0)
    with pytest.raises(ValueError, match="sentences"):
        build_vocab([])
    model = train_sgns(SENTENCES, dim=4, epochs=1)
    with pytest.raises(ValueError, match="word"):
        model.most_similar("unicorn")
    with pytest.raises(ValueError, match="word"):
        model.analogy("cat", "dog", "unicorn")
    with pytest.raises(TypeError, match="vocab"):
        pair_counts(SENTENCES, vocab={"the": 0})
    assert isinstance(model.vocab, Vocab)


def test_wikipedia_sample_is_gensims_dump_in_chunks():
    from gensim.corpora.wikicorpus import WikiCorpus
    from gensim.test.utils import datapath

    from dlbook.corpus import wikipedia_sample

    chunks = wikipedia_sample(chunk_tokens=1000)
    dump = datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    articles = list(WikiCorpus(dump, dictionary={}, processes=1).get_texts())
    assert [t for c in chunks for t in c] == [t for a in articles for t in a]
    assert max(map(len, chunks)) == 1000 and len(chunks) >= len(articles)


def test_gensim_adapter_reorders_gensims_vectors_to_our_ids(planted):
    from dlbook.word2vec import train_gensim_sgns

    sentences = planted[0][:500]
    ours_view = train_gensim_sgns(sentences, dim=8, epochs=1, seed=2)
    direct = gensim_model(sentences, vector_size=8, epochs=1, seed=2, min_alpha=0.025 * 1e-4)
    for word in ("king", "the", "iphone"):
        i = ours_view.vocab.index[word]
        assert np.array_equal(ours_view.input_vectors[i], direct.wv[word])
        assert np.array_equal(ours_view.output_vectors[i], direct.syn1neg[direct.wv.key_to_index[word]])
