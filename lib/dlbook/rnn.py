r"""A vanilla recurrent network and backpropagation through time, in NumPy (float64).

One sequence, no batch; the notation of the lesson. At step :math:`t = 1..T`

.. math::

    h^{(t)} = \tanh(U x^{(t)} + W h^{(t-1)} + b), \quad
    o^{(t)} = V h^{(t)} + c, \quad
    \hat y^{(t)} = \operatorname{softmax}(o^{(t)}),

and the loss is :math:`L = \sum_t -\log \hat y^{(t)}_{y^{(t)}}`. The same
``U, W, V, b, c`` serve every step. Arrays index time from 0: ``hs[t - 1]``
holds :math:`h^{(t)}`, and ``h0`` is :math:`h^{(0)}`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from dlbook.checks import (
    check_finite_array,
    check_instance,
    check_int,
    check_positive,
    check_seed,
    check_str,
)

__all__ = [
    "Forward",
    "RNNParams",
    "CharRNN",
    "bptt",
    "clip_by_norm",
    "encode_text",
    "init_params",
    "jacobian_through_time",
    "one_hot",
    "rnn_forward",
    "rnn_loss",
    "sample_text",
    "step_jacobian",
    "train_char_rnn",
    "unigram_entropy",
]


class RNNParams(NamedTuple):
    """The weights (or their gradients): U (H, D), W (H, H), V (K, H), b (H,), c (K,)."""

    U: np.ndarray
    W: np.ndarray
    V: np.ndarray
    b: np.ndarray
    c: np.ndarray


class Forward(NamedTuple):
    """What the forward pass computes: hidden states (T, H), logits and probabilities (T, K)."""

    hs: np.ndarray
    logits: np.ndarray
    probs: np.ndarray


# ----------------------------------------------------------------------------- guards


def _check_params(params: Any, name: str = "params") -> RNNParams:
    """``params`` as an ``RNNParams`` of finite float arrays with consistent shapes."""
    check_instance(name, params, RNNParams)
    U, W, V, b, c = (
        check_finite_array(f"{name}.{n}", a, ndim=d) for n, a, d in zip("UWVbc", params, (2, 2, 2, 1, 1), strict=True)
    )
    H = W.shape[0]
    shapes = {"U": (H, U.shape[1]), "W": (H, H), "V": (V.shape[0], H), "b": (H,), "c": (V.shape[0],)}
    for key, array in zip("UWVbc", (U, W, V, b, c), strict=True):
        if array.shape != shapes[key] or 0 in array.shape:
            raise ValueError(f"{name}.{key} must have shape {shapes[key]} (H = {H}), got {array.shape}")
    return RNNParams(U, W, V, b, c)


def _check_sequence(params: Any, xs: Any, h0: Any) -> tuple[RNNParams, np.ndarray, np.ndarray]:
    """Validated ``params``, inputs ``xs`` (T, D) with T >= 1, and initial state ``h0`` (H,)."""
    params = _check_params(params)
    xs = check_finite_array("xs", xs, ndim=2)
    H, D = params.U.shape
    if xs.shape[0] == 0 or xs.shape[1] != D:
        raise ValueError(f"xs must have shape (T, {D}) with T >= 1 (D = params.U.shape[1]), got {xs.shape}")
    if h0 is None:
        return params, xs, np.zeros(H)
    h0 = check_finite_array("h0", h0, ndim=1)
    if h0.shape != (H,):
        raise ValueError(f"h0 must have shape ({H},), the hidden size, got {h0.shape}")
    return params, xs, h0


def _check_targets(targets: Any, T: int, K: int) -> np.ndarray:
    """``targets`` as T ints in [0, K)."""
    array = np.asarray(targets)
    if array.dtype.kind not in "iu":
        raise TypeError(f"targets must be an array of ints (class ids), got dtype {array.dtype}")
    if array.shape != (T,):
        raise ValueError(f"targets must have shape ({T},), one class id per step of xs, got {array.shape}")
    if array.min() < 0 or array.max() >= K:
        raise ValueError(f"targets must lie in [0, {K}) (K = params.V.shape[0]), got {array.min()}..{array.max()}")
    return array.astype(np.int64)


# ----------------------------------------------------------------------------- the network


def init_params(
    input_size: int, hidden_size: int, output_size: int, *, scale: float = 0.01, seed: int = 0
) -> RNNParams:
    r"""Gaussian weights of standard deviation ``scale`` and zero biases (min-char-rnn's init)."""
    D = check_int("input_size", input_size, min_value=1)
    H = check_int("hidden_size", hidden_size, min_value=1)
    K = check_int("output_size", output_size, min_value=1)
    scale = check_positive("scale", scale)
    rng = np.random.default_rng(check_seed("seed", seed))
    draw = lambda *shape: scale * rng.standard_normal(shape)  # noqa: E731
    return RNNParams(U=draw(H, D), W=draw(H, H), V=draw(K, H), b=np.zeros(H), c=np.zeros(K))


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))  # shifted: no overflow
    return z / z.sum(axis=-1, keepdims=True)


def rnn_forward(params: RNNParams, xs: Any, h0: Any = None) -> Forward:
    r"""Run the RNN over ``xs`` (T, D) from ``h0`` (zeros by default).

    :math:`h^{(t)} = \tanh(U x^{(t)} + W h^{(t-1)} + b)`,
    :math:`o^{(t)} = V h^{(t)} + c`, :math:`\hat y^{(t)} = \operatorname{softmax}(o^{(t)})`.
    """
    (U, W, V, b, c), xs, h = _check_sequence(params, xs, h0)
    hs = np.empty((len(xs), len(b)))  # (T, H)
    for t, x in enumerate(xs):
        h = np.tanh(U @ x + W @ h + b)  # (H,)
        hs[t] = h
    logits = hs @ V.T + c  # (T, K)
    return Forward(hs=hs, logits=logits, probs=_softmax(logits))


def rnn_loss(params: RNNParams, xs: Any, targets: Any, h0: Any = None) -> float:
    r"""The summed cross-entropy :math:`L = -\sum_t \log \hat y^{(t)}_{y^{(t)}}` (nats)."""
    fwd = rnn_forward(params, xs, h0)
    targets = _check_targets(targets, *fwd.probs.shape)
    shifted = fwd.logits - fwd.logits.max(axis=1, keepdims=True)  # log-softmax, stable
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].sum())


def bptt(params: RNNParams, xs: Any, targets: Any, h0: Any = None, truncate: int | None = None) -> RNNParams:
    r"""Gradients of :func:`rnn_loss` by backpropagation through time.

    Full BPTT runs the recursion backwards from :math:`\delta^{(T)} = V^\top(\hat y^{(T)} - y^{(T)})`:

    .. math::

        \delta^{(t)} = V^\top(\hat y^{(t)} - y^{(t)})
            + W^\top \operatorname{diag}(1 - h^{(t+1)2})\, \delta^{(t+1)},
        \qquad a^{(t)} = \operatorname{diag}(1 - h^{(t)2})\, \delta^{(t)},

    (:math:`a^{(t)}` is the gradient at the pre-activation :math:`U x^{(t)} + W h^{(t-1)} + b`),
    then :math:`\partial L/\partial W = \sum_t a^{(t)} h^{(t-1)\top}`,
    :math:`\partial L/\partial U = \sum_t a^{(t)} x^{(t)\top}`,
    :math:`\partial L/\partial b = \sum_t a^{(t)}`,
    :math:`\partial L/\partial V = \sum_t (\hat y^{(t)} - y^{(t)}) h^{(t)\top}`,
    :math:`\partial L/\partial c = \sum_t (\hat y^{(t)} - y^{(t)})`.
    ``truncate=k`` follows each loss term back at most ``k`` steps (through
    :math:`h^{(t)}, \dots, h^{(t-k+1)}`); ``truncate=None`` is full BPTT.
    """
    (U, W, V, b, c), xs, h0 = _check_sequence(params, xs, h0)
    if truncate is not None:
        truncate = check_int("truncate", truncate, min_value=1)
    fwd = rnn_forward(RNNParams(U, W, V, b, c), xs, h0)
    targets = _check_targets(targets, *fwd.probs.shape)
    T = len(xs)
    dys = fwd.probs.copy()  # (T, K): y_hat - y, the gradient of each loss term w.r.t. its logits
    dys[np.arange(T), targets] -= 1
    prev = np.vstack([h0, fwd.hs[:-1]])  # (T, H): h(t-1) for each step
    a = np.zeros_like(fwd.hs)  # (T, H): a(t) = diag(1 - h(t)^2) delta(t), summed over loss terms
    if truncate is None:
        delta_next = np.zeros(len(b))
        for t in reversed(range(T)):
            delta = V.T @ dys[t] + delta_next  # (H,)
            a[t] = (1 - fwd.hs[t] ** 2) * delta
            delta_next = W.T @ a[t]
    else:
        for t in range(T):  # each loss term alone, k steps back
            delta = V.T @ dys[t]
            for s in range(t, max(t - truncate, -1), -1):
                a_s = (1 - fwd.hs[s] ** 2) * delta  # (H,)
                a[s] += a_s
                delta = W.T @ a_s
    return RNNParams(U=a.T @ xs, W=a.T @ prev, V=dys.T @ fwd.hs, b=a.sum(axis=0), c=dys.sum(axis=0))


def clip_by_norm(grads: RNNParams, max_norm: float) -> RNNParams:
    r"""Rescale all gradients together so their global L2 norm is at most ``max_norm`` (Pascanu et al., 2013)."""
    grads = _check_params(grads, "grads")
    max_norm = check_positive("max_norm", max_norm)
    norm = np.sqrt(sum(float((g**2).sum()) for g in grads))
    return RNNParams(*(g * min(1.0, max_norm / norm) if norm > 0 else g for g in grads))


# ----------------------------------------------------------------------------- gradients through time


def step_jacobian(W: Any, h: Any) -> np.ndarray:
    r"""One step's Jacobian :math:`\partial h^{(t)}/\partial h^{(t-1)} = \operatorname{diag}(1 - h^{(t)2})\, W`.

    ``h`` is the new state :math:`h^{(t)}` (H,), ``W`` the recurrent weights (H, H).
    """
    W = check_finite_array("W", W, ndim=2)
    h = check_finite_array("h", h, ndim=1)
    if W.shape != (len(h), len(h)) or len(h) == 0:
        raise ValueError(f"W must have shape (H, H) with H = len(h) = {len(h)} >= 1, got {W.shape}")
    return (1 - h**2)[:, None] * W  # (H, H): row i scaled by tanh'(a_i)


def jacobian_through_time(params: RNNParams, xs: Any, h0: Any = None) -> np.ndarray:
    r"""All :math:`\partial h^{(T)}/\partial h^{(t)}` for :math:`t = 0..T`, as an array (T + 1, H, H).

    The chain rule multiplies one step's Jacobian per step:
    :math:`\partial h^{(T)}/\partial h^{(t)} = \prod_{s=T}^{t+1} \operatorname{diag}(1 - h^{(s)2})\, W`;
    entry ``T`` is the identity.
    """
    params, xs, h0 = _check_sequence(params, xs, h0)
    hs = rnn_forward(params, xs, h0).hs  # (T, H)
    T, H = hs.shape
    out = np.empty((T + 1, H, H))
    out[T] = np.eye(H)
    for t in range(T - 1, -1, -1):  # dh(T)/dh(t) = dh(T)/dh(t+1) @ dh(t+1)/dh(t)
        out[t] = out[t + 1] @ step_jacobian(params.W, hs[t])
    return out


# ----------------------------------------------------------------------------- a character-level RNN


class CharRNN(NamedTuple):
    """A trained character model: its weights, alphabet, and the loss per character at each step."""

    params: RNNParams
    chars: str
    losses: np.ndarray


def encode_text(text: str) -> tuple[str, np.ndarray]:
    """The sorted alphabet of ``text`` and the text as ids into it."""
    check_str("text", text, allow_empty=False)
    chars = "".join(sorted(set(text)))
    index = {ch: i for i, ch in enumerate(chars)}
    return chars, np.array([index[ch] for ch in text], dtype=np.int64)


def one_hot(ids: Any, size: int) -> np.ndarray:
    """Rows of the identity: ``ids`` (T,) ints in [0, size) -> (T, size) floats."""
    size = check_int("size", size, min_value=1)
    array = np.asarray(ids)
    if array.dtype.kind not in "iu" or array.ndim != 1:
        raise TypeError(f"ids must be a 1-D array of ints, got dtype {array.dtype} and shape {array.shape}")
    if array.size and (array.min() < 0 or array.max() >= size):
        raise ValueError(f"ids must lie in [0, {size}) (size), got {array.min()}..{array.max()}")
    return np.eye(size)[array]


def unigram_entropy(ids: Any) -> float:
    r"""Entropy (nats) of the ids' frequencies, :math:`-\sum_c p_c \log p_c`: the loss per character of
    the best model that ignores context."""
    array = np.asarray(ids)
    if array.dtype.kind not in "iu" or array.ndim != 1 or array.size == 0 or array.min() < 0:
        raise ValueError(f"ids must be a non-empty 1-D array of ints >= 0, got {array.dtype} {array.shape}")
    p = np.bincount(array) / array.size
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def train_char_rnn(
    text: str,
    *,
    hidden_size: int = 64,
    seq_length: int = 25,
    steps: int = 6000,
    lr: float = 0.1,
    max_norm: float = 5.0,
    seed: int = 0,
) -> CharRNN:
    r"""min-char-rnn (Karpathy, 2015) on ``text`` with :func:`bptt` and Adagrad.

    Each step reads the next ``seq_length`` characters, carrying the hidden state
    over from the previous chunk (truncated BPTT by chunks), clips the gradients to
    global norm ``max_norm`` and takes an Adagrad step
    :math:`\theta \leftarrow \theta - \eta\, g / \sqrt{\sum g^2 + 10^{-8}}`.
    At the end of the text it starts again from :math:`h = 0`. The state carried
    into the next chunk is recomputed with the updated weights (min-char-rnn
    carries the one from before the update).
    """
    chars, ids = encode_text(text)
    H = check_int("hidden_size", hidden_size, min_value=1)
    T = check_int("seq_length", seq_length, min_value=1)
    steps = check_int("steps", steps, min_value=1)
    lr = check_positive("lr", lr)
    max_norm = check_positive("max_norm", max_norm)
    if len(ids) < T + 1:
        raise ValueError(f"text must hold more than seq_length = {T} characters, got {len(ids)}")
    K = len(chars)
    params = init_params(K, H, K, seed=seed)
    memory = [np.zeros_like(p) for p in params]  # Adagrad's running sums of squared gradients
    losses = np.empty(steps)
    pos, h = 0, np.zeros(H)
    for step in range(steps):
        if pos + T + 1 > len(ids):  # back to the start of the text, with a fresh state
            pos, h = 0, np.zeros(H)
        xs, targets = one_hot(ids[pos : pos + T], K), ids[pos + 1 : pos + T + 1]
        losses[step] = rnn_loss(params, xs, targets, h) / T
        grads = clip_by_norm(bptt(params, xs, targets, h), max_norm)
        for p, g, m in zip(params, grads, memory, strict=True):
            m += g * g
            p -= lr * g / np.sqrt(m + 1e-8)  # in place: params' arrays are updated
        h = rnn_forward(params, xs, h).hs[-1]
        pos += T
    return CharRNN(params=params, chars=chars, losses=losses)


def sample_text(params: RNNParams, chars: str, start: str, length: int, *, seed: int = 0) -> str:
    """Read ``start`` from a zero state, then draw ``length`` characters from the model's softmax."""
    params = _check_params(params)
    D, K = params.U.shape[1], params.V.shape[0]
    if D != K:
        raise ValueError(f"params must read and predict the same characters (D = K), got D = {D}, K = {K}")
    check_str("chars", chars, allow_empty=False)
    if len(chars) != K:
        raise ValueError(f"chars must hold D = K = {K} characters, got {len(chars)}")
    check_str("start", start, allow_empty=False)
    if set(start) - set(chars):
        raise ValueError(f"start must use only characters of chars, got {sorted(set(start) - set(chars))}")
    length = check_int("length", length, min_value=0)
    rng = np.random.default_rng(check_seed("seed", seed))
    fwd = rnn_forward(params, one_hot(np.array([chars.index(ch) for ch in start]), K))
    h, p, out = fwd.hs[-1], fwd.probs[-1], []
    for _ in range(length):
        i = int(rng.choice(K, p=p))
        out.append(chars[i])
        fwd = rnn_forward(params, one_hot(np.array([i]), K), h)
        h, p = fwd.hs[-1], fwd.probs[-1]
    return start + "".join(out)
