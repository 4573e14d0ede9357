r"""Word2Vec from scratch: skip-gram with negative sampling (SGNS), in NumPy.

Skip-gram (Mikolov et al., 2013a) learns two vectors per word: an *input*
vector :math:`v_w` used when the word is the centre of a window, and an
*output* vector :math:`u_c` used when it is a context word. Negative sampling
(Mikolov et al., 2013b) replaces the softmax over the whole vocabulary by
:math:`k` binary questions per pair (is :math:`c` a real context of :math:`w`,
or a word drawn from the noise distribution :math:`P_n \propto
\mathrm{count}^{0.75}`?):

.. math::

    \ell(w, c) = -\log \sigma(u_c^\top v_w)
                 - \sum_{i=1}^{k} \log \sigma(-u_{n_i}^\top v_w),
    \qquad n_i \sim P_n.

What follows word2vec's C code (and gensim): the dynamic window (each centre
draws its window uniformly from 1..``window``), the subsampling formula of
:func:`keep_probability`, the noise distribution, the initialisation (input
vectors uniform in :math:`\pm 0.5/d`, output vectors zero) and the learning
rate that decays linearly to ``lr * 1e-4``. What differs: the C code updates
the vectors after every (centre, context) pair, with several threads writing
without locks (Hogwild); here a minibatch of pairs is computed from the same
vectors and the updates are summed in with ``np.add.at``. The C code also
predicts the centre from each context word; by the symmetry of the windows
both directions see the same pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from gensim.models import KeyedVectors

from dlbook.checks import (
    check_finite_array,
    check_instance,
    check_int,
    check_positive,
    check_seed,
    check_str,
    check_tensor,
)
from dlbook.seeding import torch_threads

__all__ = [
    "PLANTED_FAMILIES",
    "Vocab",
    "Word2Vec",
    "build_vocab",
    "keep_probability",
    "noise_distribution",
    "pair_counts",
    "paper_keep_probability",
    "planted_corpus",
    "sgns_loss_and_grads",
    "sgns_step",
    "shifted_pmi",
    "skipgram_pairs",
    "train_gensim_sgns",
    "train_sgns",
]


def _check_sentences(sentences: object) -> list[list[str]]:
    """A non-empty sequence of sentences, each a sequence of str tokens, with at least one token."""
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Sequence):
        raise TypeError(f"sentences must be a list of sentences (lists of str), got {type(sentences).__name__}")
    out = []
    for sentence in sentences:
        if isinstance(sentence, (str, bytes)) or not isinstance(sentence, Sequence):
            raise TypeError(f"sentences must hold lists of str tokens, got a {type(sentence).__name__}")
        if not all(isinstance(token, str) for token in sentence):
            raise TypeError("sentences must hold lists of str tokens, found a token that is not a str")
        out.append(list(sentence))
    if not any(out):
        raise ValueError("sentences must hold at least one token (the corpus is empty)")
    return out


def _check_counts(counts: object) -> np.ndarray:
    array = np.asarray(counts)
    if array.dtype.kind not in "iu" or array.ndim != 1 or array.size == 0:
        raise TypeError(f"counts must be a non-empty 1-D array of ints, got {type(counts).__name__} {array.dtype}")
    if (array < 1).any():
        raise ValueError("counts must be >= 1 (every word of a vocabulary occurs)")
    return array.astype(np.int64)


def _check_ids(name: str, ids: object) -> np.ndarray:
    array = np.asarray(ids)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise TypeError(f"{name} must be a 1-D array of ints, got {type(ids).__name__} of dtype {array.dtype}")
    if array.size and (array.min() < 0 or (np.diff(array) < 0).any()):
        raise ValueError(f"{name} must hold sentence numbers >= 0 in non-decreasing order")
    return array.astype(np.int64)


# ----------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocab:
    r"""The words of a corpus: ``words[i]`` has id ``i`` and occurs ``counts[i]`` times.

    Ids follow descending count, ties alphabetically; ``index`` maps word -> id.
    """

    words: list[str]
    counts: np.ndarray
    index: dict[str, int] = field(repr=False)

    def __len__(self) -> int:
        return len(self.words)

    def ids(self, word: str, name: str = "word") -> int:
        r"""The id of ``word``; an unknown word raises ``ValueError`` naming the argument ``name``."""
        check_str(name, word)
        if word not in self.index:
            raise ValueError(f"{name} must be a word of the vocabulary, got {word!r}")
        return self.index[word]


def build_vocab(sentences: Sequence[Sequence[str]], *, min_count: int = 1) -> Vocab:
    r"""Count the tokens; keep words seen at least ``min_count`` times, most frequent first."""
    sentences = _check_sentences(sentences)
    min_count = check_int("min_count", min_count, min_value=1)
    counts = Counter(token for sentence in sentences for token in sentence)
    kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    if not kept:
        raise ValueError(f"min_count={min_count} keeps no word (the most frequent occurs {max(counts.values())} times)")
    return Vocab(kept, np.array([counts[w] for w in kept], dtype=np.int64), {w: i for i, w in enumerate(kept)})


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    r"""The negative-sampling distribution :math:`P_n(w) = \mathrm{count}(w)^{p} / \sum_v \mathrm{count}(v)^{p}`."""
    counts = _check_counts(counts)
    power = check_positive("power", power, allow_zero=True)
    weights = counts.astype(np.float64) ** power
    return weights / weights.sum()


def keep_probability(
    counts: np.ndarray,
    sample: float = 1e-3,
) -> np.ndarray:
    r"""Subsampling as word2vec.c and gensim do it.

    An occurrence of :math:`w` is kept with probability

    .. math::
        \min\Bigl(1,\ \bigl(\sqrt{f/(tN)} + 1\bigr)\,
        \frac{tN}{f}\Bigr),

    :math:`f` the word's count, :math:`N` the total count,
    :math:`t` = ``sample`` (0 keeps everything). The paper's rule
    is :func:`paper_keep_probability`.
    """
    counts = _check_counts(counts)
    sample = check_positive("sample", sample, allow_zero=True)
    if sample == 0:
        return np.ones(len(counts))
    f, tN = counts.astype(np.float64), sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(f / tN) + 1) * tN / f)


def paper_keep_probability(counts: np.ndarray, sample: float = 1e-3) -> np.ndarray:
    r"""Subsampling as Mikolov et al. (2013b) write it: drop with :math:`1 - \sqrt{t / (f/N)}`, so keep with

    .. math:: \min\bigl(1,\ \sqrt{tN/f}\bigr).
    """
    counts = _check_counts(counts)
    sample = check_positive("sample", sample, allow_zero=True)
    return np.minimum(1.0, np.sqrt(sample * counts.sum() / counts))


# ----------------------------------------------------------------------------- pairs and the loss


def _encode(sentences: list[list[str]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of the known words, concatenated, and the sentence each one belongs to."""
    ids = [[vocab.index[t] for t in s if t in vocab.index] for s in sentences]
    tokens = np.fromiter((i for s in ids for i in s), dtype=np.int64)
    sentence_of = np.repeat(np.arange(len(ids)), [len(s) for s in ids])
    return tokens, sentence_of


def skipgram_pairs(sentence_of: np.ndarray, *, window: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r"""Positions ``(centre, context)`` of the skip-gram pairs of a token stream.

    ``sentence_of[i]`` is the sentence of token ``i``. Each centre draws its window
    :math:`b` uniformly from 1..``window`` (word2vec's dynamic window, which weights a
    context at distance :math:`d` by :math:`(W - d + 1)/W` on average) and pairs with
    every token of its sentence at distance :math:`\le b`. Pairs come centre by centre, contexts
    left to right. The windows are ``rng``'s first draw, ``rng.integers(1, window + 1, size=n)``.
    """
    sentence_of = _check_ids("sentence_of", sentence_of)
    window = check_int("window", window, min_value=1)
    check_instance("rng", rng, np.random.Generator)
    n = len(sentence_of)
    reach = rng.integers(1, window + 1, size=n)  # (n,) each centre's window
    centres, contexts = [], []
    for d in range(-window, window + 1):
        if d == 0:
            continue
        c = np.arange(max(0, -d), min(n, n - d))  # centres whose position c + d exists
        ok = (reach[c] >= abs(d)) & (sentence_of[c] == sentence_of[c + d])
        centres.append(c[ok])
        contexts.append(c[ok] + d)
    centre, context = np.concatenate(centres), np.concatenate(contexts)
    order = np.argsort(centre, kind="stable")  # text order, as the C code walks it
    return centre[order], context[order]


def _check_batch(v: torch.Tensor, u_pos: torch.Tensor, u_neg: torch.Tensor, real: torch.Tensor | None) -> torch.Tensor:
    check_tensor("v", v, ndim=2)
    check_tensor("u_pos", u_pos, like=v, like_name="v")
    check_tensor("u_neg", u_neg, ndim=3)
    if u_neg.shape[0] != v.shape[0] or u_neg.shape[2] != v.shape[1]:
        raise ValueError(f"u_neg must have shape (B, k, d) = ({v.shape[0]}, k, {v.shape[1]}), got {tuple(u_neg.shape)}")
    if real is None:
        return torch.ones(u_neg.shape[:2], dtype=v.dtype)
    check_tensor("real", real, like=u_neg[:, :, 0], like_name="u_neg's (B, k)")
    if ((real != 0) & (real != 1)).any():
        raise ValueError("real must hold only 0 (a skipped noise word) and 1")
    return real


def sgns_loss_and_grads(
    v: torch.Tensor,
    u_pos: torch.Tensor,
    u_neg: torch.Tensor,
    real: torch.Tensor | None = None,
) -> tuple[float, torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""The negative-sampling loss of a batch and its gradients.

    ``v`` (B, d) centre input vectors, ``u_pos`` (B, d) their
    contexts' output vectors, ``u_neg`` (B, k, d) the output vectors
    of k noise words each; ``real`` (B, k), 1 by default, is 0 for
    a noise word to skip:

    .. math::
        \ell = \sum_b \Bigl[-\log\sigma(u_b^\top v_b)
        - \sum_i r_{bi} \log\sigma(-u_{bi}^\top v_b)\Bigr],

        \frac{\partial\ell}{\partial v_b}
        = (\sigma(u_b^\top v_b) - 1)\,u_b
        + \sum_i r_{bi}\,\sigma(u_{bi}^\top v_b)\,u_{bi}.

    Returns the loss and the gradients for ``v``, ``u_pos``, ``u_neg``.
    """
    real = _check_batch(v, u_pos, u_neg, real)
    s_pos = (v * u_pos).sum(dim=1)  # (B,)
    s_neg = torch.bmm(u_neg, v.unsqueeze(2)).squeeze(2)  # (B, k)
    loss = -F.logsigmoid(s_pos).sum() - (real * F.logsigmoid(-s_neg)).sum()
    g_pos = torch.sigmoid(s_pos) - 1.0  # (B,)   d loss / d s_pos
    g_neg = real * torch.sigmoid(s_neg)  # (B, k) d loss / d s_neg
    from_noise = torch.bmm(g_neg.unsqueeze(1), u_neg).squeeze(1)  # (B, d)
    grad_v = g_pos[:, None] * u_pos + from_noise  # (B, d)
    grad_pos = g_pos[:, None] * v  # (B, d)
    grad_neg = g_neg[:, :, None] * v[:, None, :]  # (B, k, d)
    return float(loss), grad_v, grad_pos, grad_neg


# ----------------------------------------------------------------------------- training


@dataclass(frozen=True)
class Word2Vec:
    r"""A trained skip-gram model: one input and one output vector per word id.

    ``snapshots`` holds copies of the input vectors taken during training
    (``snapshot_at`` says when, as a fraction of training); ``losses`` the mean
    loss per pair of each epoch.
    """

    vocab: Vocab
    input_vectors: np.ndarray
    output_vectors: np.ndarray
    snapshots: list[np.ndarray] = field(default_factory=list, repr=False)
    snapshot_at: list[float] = field(default_factory=list, repr=False)
    losses: list[float] = field(default_factory=list, repr=False)

    def keyed_vectors(self) -> KeyedVectors:
        r"""The input vectors as gensim ``KeyedVectors``, to run gensim's evaluations on them."""
        vectors = KeyedVectors(self.input_vectors.shape[1])
        vectors.add_vectors(self.vocab.words, self.input_vectors)
        return vectors

    def unit_vectors(self) -> np.ndarray:
        r"""The input vectors scaled to length 1 (cosine similarity is then a dot product)."""
        norms = np.linalg.norm(self.input_vectors, axis=1, keepdims=True)
        return self.input_vectors / np.maximum(norms, 1e-12)

    def similarity(self, a: str, b: str) -> float:
        r"""Cosine similarity of the input vectors of ``a`` and ``b``."""
        i, j = self.vocab.ids(a, "a"), self.vocab.ids(b, "b")
        unit = self.unit_vectors()
        return float(unit[i] @ unit[j])

    def _nearest(self, query: np.ndarray, exclude: list[int], topn: int) -> list[tuple[str, float]]:
        scores = self.unit_vectors() @ (query / max(float(np.linalg.norm(query)), 1e-12))
        scores[exclude] = -np.inf
        best = np.argsort(-scores, kind="stable")[: min(topn, len(scores) - len(set(exclude)))]
        return [(self.vocab.words[i], float(scores[i])) for i in best]

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        r"""The ``topn`` words whose input vectors have the largest cosine with ``word``'s (``word`` excluded)."""
        i = self.vocab.ids(word)
        topn = check_int("topn", topn, min_value=1)
        return self._nearest(self.unit_vectors()[i], [i], topn)

    def analogy(self, a: str, b: str, c: str, topn: int = 1) -> list[str]:
        r"""The answers to "``a`` is to ``b`` as ``c`` is to ?": the words nearest by cosine to
        :math:`\hat b - \hat a + \hat c`, hats being unit vectors (3CosAdd, as in word2vec's
        ``compute-accuracy`` and gensim), with ``a``, ``b`` and ``c`` excluded.
        """
        ids = [self.vocab.ids(a, "a"), self.vocab.ids(b, "b"), self.vocab.ids(c, "c")]
        topn = check_int("topn", topn, min_value=1)
        unit = self.unit_vectors()
        return [w for w, _ in self._nearest(unit[ids[1]] - unit[ids[0]] + unit[ids[2]], ids, topn)]


def train_sgns(
    sentences: Sequence[Sequence[str]],
    *,
    dim: int = 50,
    window: int = 5,
    negative: int = 5,
    epochs: int = 5,
    lr: float = 0.025,
    min_count: int = 1,
    sample: float = 0.0,
    seed: int = 0,
    batch_size: int = 256,
    snapshots: int = 0,
) -> Word2Vec:
    r"""Train skip-gram with negative sampling by minibatch SGD on one CPU thread.

    Each epoch subsamples the corpus (:func:`keep_probability`), builds the pairs
    (:func:`skipgram_pairs`) and walks them in text order, ``batch_size`` pairs at a
    time, each with ``negative`` noise words from :func:`noise_distribution` (a noise
    word equal to the pair's context is skipped, as in the C code). The learning rate
    decays linearly from ``lr`` to ``lr * 1e-4``. ``snapshots`` copies of the input
    vectors are kept at even intervals. Seeded: the same arguments give the same vectors.
    """
    sentences = _check_sentences(sentences)
    dim = check_int("dim", dim, min_value=1)
    window = check_int("window", window, min_value=1)
    negative = check_int("negative", negative, min_value=1)
    epochs = check_int("epochs", epochs, min_value=1)
    lr = check_positive("lr", lr)
    sample = check_positive("sample", sample, allow_zero=True)
    seed = check_seed("seed", seed)
    batch_size = check_int("batch_size", batch_size, min_value=1)
    snapshots = check_int("snapshots", snapshots, min_value=0)
    vocab = build_vocab(sentences, min_count=min_count)
    with torch_threads(1):
        return _train(sentences, vocab, dim, window, negative, epochs, lr, sample, seed, batch_size, snapshots)


def _check_word_ids(name: str, ids: object, n_words: int, ndim: int) -> torch.Tensor:
    if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64:
        raise TypeError(f"{name} must be a torch.int64 tensor of word ids, got {type(ids).__name__}")
    if ids.ndim != ndim or ids.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D tensor, got shape {tuple(ids.shape)}")
    if int(ids.min()) < 0 or int(ids.max()) >= n_words:
        raise ValueError(f"{name} must hold word ids in 0..{n_words - 1}")
    return ids


def _check_step(w_in, w_out, centre, context, noise, rate) -> float:  # noqa: ANN001
    check_tensor("w_in", w_in, ndim=2)
    check_tensor("w_out", w_out, like=w_in, like_name="w_in")
    n_words = w_in.shape[0]
    _check_word_ids("centre", centre, n_words, 1)
    _check_word_ids("context", context, n_words, 1)
    _check_word_ids("noise", noise, n_words, 2)
    if context.shape != centre.shape or noise.shape[0] != centre.shape[0]:
        raise ValueError(
            f"context must have the shape of centre {tuple(centre.shape)} and noise (B, k) with B = "
            f"{centre.shape[0]}, got {tuple(context.shape)} and {tuple(noise.shape)}"
        )
    return check_positive("rate", rate)


def sgns_step(
    w_in: torch.Tensor,
    w_out: torch.Tensor,
    centre: torch.Tensor,
    context: torch.Tensor,
    noise: torch.Tensor,
    rate: float,
) -> float:
    r"""One in-place SGD step on a batch of pairs; returns the summed loss.

    ``w_in``, ``w_out``: (V, d) input and output vectors; ``centre``,
    ``context``: (B,) word ids of the pairs; ``noise``: (B, k) noise ids.
    """
    rate = _check_step(w_in, w_out, centre, context, noise, rate)
    return _sgns_update(w_in, w_out, centre, context, noise, rate)


def _sgns_update(
    w_in: torch.Tensor,
    w_out: torch.Tensor,
    centre: torch.Tensor,
    context: torch.Tensor,
    noise: torch.Tensor,
    rate: float,
) -> float:
    r"""The step of :func:`sgns_step`, unchecked: ``train_sgns`` calls it
    on batches it built (``tools/bench_word2vec.py`` times what checking
    both tables for NaN before every batch would cost).
    """
    # (B, k): 0 where a noise word is the pair's own context
    # (the C code skips it)
    real = (noise != context[:, None]).to(w_in.dtype)
    loss, g_v, g_ctx, g_noise = sgns_loss_and_grads(
        w_in[centre],  # (B, d)
        w_out[context],  # (B, d)
        w_out[noise],  # (B, k, d)
        real,
    )
    # index_add_ sums the updates of a word that occurs twice in a batch
    w_in.index_add_(0, centre, g_v, alpha=-rate)
    w_out.index_add_(0, context, g_ctx, alpha=-rate)
    w_out.index_add_(0, noise.flatten(), g_noise.flatten(0, 1), alpha=-rate)
    return loss


def _epoch_pairs(tokens, sentence_of, keep, cumulative, window, negative, rng):  # noqa: ANN001, ANN202
    """One epoch's (centre, context, noise) word ids: subsample, cut the windows, draw the noise."""
    kept = rng.random(len(tokens)) < keep[tokens]  # subsampling, before the windows
    centre, context = skipgram_pairs(sentence_of[kept], window=window, rng=rng)
    centre, context = tokens[kept][centre], tokens[kept][context]
    noise = np.searchsorted(cumulative, rng.random((len(centre), negative)), side="right")
    noise = np.minimum(noise, len(keep) - 1)  # guards against cumulative[-1] < 1 by rounding
    return tuple(map(torch.from_numpy, (centre, context, noise)))


def _train(
    sentences: list[list[str]],
    vocab: Vocab,
    dim: int,
    window: int,
    negative: int,
    epochs: int,
    lr: float,
    sample: float,
    seed: int,
    batch_size: int,
    snapshots: int,
) -> Word2Vec:
    rng = np.random.default_rng(seed)
    n_words = len(vocab)
    w_in = torch.from_numpy((rng.random((n_words, dim), dtype=np.float32) - 0.5) / dim)  # as word2vec.c
    w_out = torch.zeros(n_words, dim)
    cumulative = np.cumsum(noise_distribution(vocab.counts))
    keep = keep_probability(vocab.counts, sample)
    tokens, sentence_of = _encode(sentences, vocab)
    snaps, snap_at = ([w_in.numpy().copy()], [0.0]) if snapshots else ([], [])
    losses = []
    for epoch in range(epochs):
        centre, context, noise = _epoch_pairs(tokens, sentence_of, keep, cumulative, window, negative, rng)
        n_pairs, loss_sum = len(centre), 0.0
        for start in range(0, n_pairs, batch_size):
            progress = (epoch + start / n_pairs) / epochs
            rate = lr * max(1.0 - progress, 1e-4)  # linear decay to lr * 1e-4
            batch = slice(start, start + batch_size)
            loss_sum += _sgns_update(w_in, w_out, centre[batch], context[batch], noise[batch], rate)
            done = (epoch + min(start + batch_size, n_pairs) / n_pairs) / epochs
            while snapshots and done >= len(snaps) / snapshots - 1e-9:
                snaps.append(w_in.numpy().copy())
                snap_at.append(done)
        losses.append(loss_sum / max(n_pairs, 1))  # mean loss per pair over the epoch
    return Word2Vec(vocab, w_in.numpy(), w_out.numpy(), snaps, snap_at, losses)


def train_gensim_sgns(
    sentences: Sequence[Sequence[str]],
    *,
    dim: int = 50,
    window: int = 5,
    negative: int = 5,
    epochs: int = 5,
    lr: float = 0.025,
    min_count: int = 1,
    sample: float = 0.0,
    seed: int = 0,
) -> Word2Vec:
    r"""The same model trained by gensim's C code (skip-gram, negative sampling, one worker thread).

    Returned as a :class:`Word2Vec` on our vocabulary (rows reordered from gensim's ids),
    ``input_vectors`` from ``wv.vectors`` and ``output_vectors`` from ``syn1neg``, so both
    trainers are evaluated by the same code. The learning rate decays to ``lr * 1e-4``, as ours.
    """
    from gensim.models import Word2Vec as Gensim

    sentences = _check_sentences(sentences)
    dim = check_int("dim", dim, min_value=1)
    window = check_int("window", window, min_value=1)
    negative = check_int("negative", negative, min_value=1)
    epochs = check_int("epochs", epochs, min_value=1)
    lr = check_positive("lr", lr)
    sample = check_positive("sample", sample, allow_zero=True)
    seed = check_seed("seed", seed)
    vocab = build_vocab(sentences, min_count=min_count)
    model = Gensim(
        sentences, sg=1, hs=0, vector_size=dim, window=window, negative=negative, epochs=epochs, alpha=lr,
        min_alpha=lr * 1e-4, min_count=min_count, sample=sample, seed=seed, workers=1,
    )  # fmt: skip
    rows = [model.wv.key_to_index[w] for w in vocab.words]
    return Word2Vec(vocab, model.wv.vectors[rows].copy(), model.syn1neg[rows].copy())


# ----------------------------------------------------------------------------- the PMI view


def pair_counts(sentences: Sequence[Sequence[str]], vocab: Vocab, window: int = 5) -> np.ndarray:
    r"""Expected skip-gram pair counts :math:`\#(w, c)` with the dynamic window (no subsampling).

    A context at distance :math:`d \le W` is paired with probability :math:`(W - d + 1)/W`;
    words outside ``vocab`` are dropped first, as in training. Returns a (V, V) array,
    rows centres, columns contexts.
    """
    sentences = _check_sentences(sentences)
    check_instance("vocab", vocab, Vocab)
    window = check_int("window", window, min_value=1)
    tokens, sentence_of = _encode(sentences, vocab)
    counts = np.zeros((len(vocab), len(vocab)))
    for d in range(1, window + 1):
        same = sentence_of[:-d] == sentence_of[d:]
        left, right = tokens[:-d][same], tokens[d:][same]
        weight = (window - d + 1) / window
        np.add.at(counts, (left, right), weight)
        np.add.at(counts, (right, left), weight)
    return counts


def shifted_pmi(counts: np.ndarray, noise: np.ndarray, negative: int = 5) -> np.ndarray:
    r"""The dot products SGNS converges to (Levy & Goldberg, 2014), for every pair with a count:

    .. math:: \log\frac{P(w, c)}{P(w)\,P_n(c)} - \log k
        = \log\frac{\#(w,c)}{\#(w)\,P_n(c)} - \log k,

    with :math:`\#(w) = \sum_c \#(w, c)`. ``counts`` is (V, V) from :func:`pair_counts`,
    ``noise`` :math:`P_n` (V,). Pairs never seen get ``-inf``.
    """
    counts = check_finite_array("counts", counts, ndim=2)
    noise = check_finite_array("noise", noise, ndim=1)
    if counts.shape[0] != counts.shape[1] or (counts < 0).any():
        raise ValueError(f"counts must be a square (V, V) array of counts >= 0, got shape {counts.shape}")
    if noise.shape != (counts.shape[0],) or (noise <= 0).any():
        raise ValueError(f"noise must be {counts.shape[0]} positive probabilities, got shape {noise.shape}")
    negative = check_int("negative", negative, min_value=1)
    row = counts.sum(axis=1, keepdims=True)  # (V, 1) #(w)
    with np.errstate(divide="ignore"):
        return np.log(counts) - np.log(np.maximum(row, 1e-300)) - np.log(noise)[None, :] - np.log(negative)


# ----------------------------------------------------------------------------- a corpus with a known answer

#: The planted words and the latent attributes that choose their context words.
#: People: royalty x age x gender; pets: species x age; gadgets: a topic apart.
PLANTED_FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "people": {
        "king": ("royal", "adult", "male"),
        "queen": ("royal", "adult", "female"),
        "prince": ("royal", "young", "male"),
        "princess": ("royal", "young", "female"),
        "man": ("common", "adult", "male"),
        "woman": ("common", "adult", "female"),
        "boy": ("common", "young", "male"),
        "girl": ("common", "young", "female"),
    },
    "pets": {
        "cat": ("feline", "grown", "pet"),
        "kitten": ("feline", "baby", "pet"),
        "dog": ("canine", "grown", "pet"),
        "puppy": ("canine", "baby", "pet"),
    },
    "gadgets": {"iphone": ("phone", "device"), "laptop": ("computer", "device")},
}

#: The context words each attribute draws from.
_CONTEXT: dict[str, tuple[str, ...]] = {
    "royal": ("crown", "throne", "palace", "castle", "kingdom"),
    "common": ("village", "farm", "market", "street", "cottage"),
    "adult": ("work", "taxes", "office", "wine", "married"),
    "young": ("school", "toys", "games", "lessons", "playground"),
    "male": ("he", "his", "him", "beard", "himself"),
    "female": ("she", "her", "hers", "dress", "herself"),
    "feline": ("meows", "purrs", "whiskers", "mice", "claws"),
    "canine": ("barks", "fetch", "bone", "leash", "wags"),
    "grown": ("sleeps", "old", "big", "lazy", "fat"),
    "baby": ("tiny", "born", "milk", "cute", "newborn"),
    "pet": ("fur", "vet", "feeds", "pets", "tail"),
    "phone": ("calls", "texts", "pocket", "apps", "touchscreen"),
    "computer": ("keyboard", "desk", "typing", "software", "lid"),
    "device": ("battery", "charger", "screen", "wifi", "buys"),
}
_FILLER = ("the", "a", "and", "of", "with", "in", "to", "is")


def _planted_analogies() -> list[tuple[str, str, str, str]]:
    """Every (a, b, c, d) whose words differ along one attribute, a->b the same change as c->d."""
    quads = []
    for family in ("people", "pets"):
        words = PLANTED_FAMILIES[family]
        for a, b in ((a, b) for a in words for b in words if a < b):
            changed = [i for i, (x, y) in enumerate(zip(words[a], words[b], strict=True)) if x != y]
            if len(changed) != 1:
                continue
            for c, d in ((c, d) for c in words for d in words if (c, d) > (a, b) and c not in (a, b)):
                same = [words[c][i] == words[a][i] and words[d][i] == words[b][i] for i in changed]
                rest = [words[c][i] == words[d][i] for i in range(len(words[a])) if i not in changed]
                if all(same) and all(rest) and d not in (a, b):
                    quads.append((a, b, c, d))
    return quads


def planted_corpus(n_sentences: int, *, seed: int = 0) -> tuple[list[list[str]], list[tuple[str, str, str, str]]]:
    r"""Sentences whose words have a known latent structure, and the analogies it plants.

    Each sentence names one word of :data:`PLANTED_FAMILIES` and draws one context
    word for each of its attributes (from :data:`_CONTEXT`), plus two filler words,
    shuffled around it. *king* and *queen* share the royal and adult contexts and
    differ in the gender ones, so *king* - *man* + *woman* should land on *queen*.
    Returns the sentences and every analogy ``(a, b, c, d)`` ("a is to b as c is
    to d") in which the same single attribute changes from a to b and from c to d.
    """
    n_sentences = check_int("n_sentences", n_sentences, min_value=1)
    rng = np.random.default_rng(check_seed("seed", seed))
    words = {w: attrs for family in PLANTED_FAMILIES.values() for w, attrs in family.items()}
    names = sorted(words)
    sentences = []
    for _ in range(n_sentences):
        word = names[rng.integers(len(names))]
        context = [_CONTEXT[a][rng.integers(5)] for a in words[word]]
        context += [_FILLER[i] for i in rng.integers(len(_FILLER), size=2)]
        sentence = [context[i] for i in rng.permutation(len(context))]
        sentence.insert(int(rng.integers(len(sentence) + 1)), word)
        sentences.append(sentence)
    return sentences, _planted_analogies()
