"""Every public ``dlbook`` callable refuses bad input with a ValueError/TypeError naming the argument.

How it works. :func:`public_callables` walks every module of the package
(``pkgutil``) and lists its public functions, classes (their constructors) and
the public methods of those classes (plus ``__call__``); names starting with
``_`` and names imported from another module are skipped. ``VALID`` holds ONE
valid call for each of them. For every argument of that call, the test swaps
in bad values of the argument's kind, one at a time (None where None is not
the default, wrong types, NaN/inf, empty, wrong shape, negative counts, seeds
beyond 32 bits, and the extra out-of-range values an entry lists) and fails
when a probe

* raises anything but ``ValueError``/``TypeError`` ("wrong_type"),
* raises one of those with a message that does not name the argument ("unnamed"),
* or returns without an error ("accepted": garbage in, garbage out).

A public callable with no entry in ``VALID`` fails :func:`test_every_public_callable_has_a_valid_call`,
so a new chapter's module is covered from its first commit.

How to add an entry (a new public function ``dlbook.flows.coupling(x, *, scale=1.0)``)::

    "dlbook.flows.coupling": lambda: Call(flows.coupling, x=torch.randn(4, 2), scale=0.5,
                                          bad={"scale": [0.0, -1.0]}),

* keyword arguments are the valid call (use tiny tensors and 1-2 training steps);
  only the arguments you pass are probed, so pass every one that matters;
* ``bad``: extra values that are bad *for this function* (out of range, zero counts, ...);
* ``ok``: generic bad values that are in fact valid here (e.g. ``[]`` for an id list);
* ``good``: variants that must be accepted (e.g. a float64 tensor where float32 is usual);
* ``skip``: arguments not to probe, with the reason in a comment;
* a result record that readers only read (a dataclass the library returns) is ``RECORD``.

The entries are built lazily (each probe gets fresh arguments, so mutating
functions are fine). ``python tests/test_bad_input.py`` prints the counts of
each outcome over all probes.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import inspect
import math
import os
import pkgutil
import re
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import dlbook
from dlbook import (
    activations,
    bias_networks,
    cache,
    checkpointing,
    checks,
    corpus,
    data,
    diffusion,
    diffusion_models,
    display,
    exercises,
    flows,
    metrics,
    ode,
    perceptron,
    plotting,
    receptive_field,
    rnn,
    seeding,
    sentencepiece_bpe,
    source,
    surrogates,
    tokenization,
    tokenizer_adapters,
    widgets,
    word2vec,
)

RECORD = "result record: built by the library, only read by readers"


@dataclass
class Call:
    fn: Callable[..., Any]
    kwargs: dict[str, Any]
    bad: dict[str, list[Any]] = field(default_factory=dict)
    ok: dict[str, list[Any]] = field(default_factory=dict)
    good: dict[str, list[Any]] = field(default_factory=dict)
    skip: tuple[str, ...] = ()
    says: dict[str, str] = field(default_factory=dict)


def C(
    fn: Callable[..., Any],
    *,
    bad: dict | None = None,
    ok: dict | None = None,
    good: dict | None = None,
    skip: tuple[str, ...] = (),
    says: dict | None = None,
    **kwargs: Any,
) -> Call:
    return Call(fn, kwargs, bad or {}, ok or {}, good or {}, skip, says or {})


def V(
    fn: Callable[..., Any], name: str, value: Any, *, bad: list | None = None, ok: list | None = None, **options: Any
) -> Call:
    """A validator of ``dlbook.checks``: only its value is probed, and the message must name ``name``.

    The other parameters (``name``, bounds, ``ndim``, ...) are chosen by library code, not by readers.
    """
    arg = "values" if "values" in inspect.signature(fn).parameters else "value"
    return C(
        fn,
        name=name,
        **{arg: value},
        **options,
        bad={arg: bad or []},
        ok={arg: ok or []},
        skip=("name", *options),
        says={arg: name},
    )


# ----------------------------------------------------------------------------- small valid inputs


def pts(n: int = 6, d: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def ramp() -> torch.Tensor:
    """Inputs for the elementwise activations (any shape is valid)."""
    return torch.linspace(-3, 3, 7)


def betas() -> torch.Tensor:
    return diffusion.linear_beta_schedule(10)


def abar() -> torch.Tensor:
    return diffusion.alpha_bars(betas())


@functools.cache
def eps_mlp() -> diffusion_models.EpsMLP:
    torch.manual_seed(0)
    return diffusion_models.EpsMLP(2, hidden=8, depth=1, emb_dim=4).eval()


def zero_model(x: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(x)


def bad_models() -> list[Callable[..., Any]]:
    """Callables that run but return garbage: the samplers must check what a model returns."""
    return [
        lambda x, tau: x[:, :1],
        lambda x, tau: torch.full_like(x, math.nan),
        lambda x, tau: x.tolist(),
        lambda x, tau: x.sum(),
    ]


def sampler(fn: Callable[..., Any], bad: dict | None = None, **extra: Any) -> Call:
    """A sampler's valid call from given noise ``x_T`` (``n`` and ``dim`` are unit-tested)."""
    return C(
        fn,
        model=zero_model,
        seed=0,
        x_T=pts(),
        return_trajectory=True,
        device="cpu",
        **extra,
        bad={"model": bad_models(), "device": ["nope", "tpu"], **(bad or {})},
    )


TEXT = "aaabdaaabac hello hello world 12345"


@functools.cache
def tokenizer() -> tokenization.BPETokenizer:
    return tokenization.BPETokenizer().train(TEXT, 262)


@functools.cache
def hf() -> Any:
    return tokenizer_adapters.train_hf_byte_level(TEXT, 262)


def linked_state() -> dict[str, Any]:
    """The linked-list state of ``merge_in_place`` for the ids ``1 2 1 2``."""
    tok, n = [1, 2, 1, 2], 4
    where = defaultdict(set, {(1, 2): {0, 2}, (2, 1): {1}})
    return {
        "pair": (1, 2),
        "new_id": 256,
        "tok": tok,
        "nxt": [1, 2, 3, -1],
        "prv": [-1, 0, 1, 2],
        "freq": [1] * n,
        "counts": {(1, 2): 2, (2, 1): 1},
        "where": where,
    }


def html_frame(v: Any, *rest: Any) -> str:
    return f"<b>{v}</b>"


def figure() -> Any:
    fig, ax = plotting.subplots(width=1.0, height=1.0)
    ax.plot([0, 1], [0, 1])
    return fig


def in_tmp_cache(entry: Callable[..., Any]) -> Callable[..., Any]:
    """``entry(fn, n)`` (``cached`` or ``compute_seconds``, whose ``fn`` is positional) in a throw-away cache."""

    def call(f: Any, n: Any) -> Any:
        saved = os.environ.get("DLBOOK_CACHE_DIR")
        os.environ["DLBOOK_CACHE_DIR"] = str(tmp_dir() / "cache")
        try:
            return entry(f, n)
        finally:
            if saved is None:
                del os.environ["DLBOOK_CACHE_DIR"]
            else:
                os.environ["DLBOOK_CACHE_DIR"] = saved

    return call


def frames(k: int) -> list[Any]:
    return [widgets.frame_widget(f"<i>{i}</i>") for i in range(k)]


def rnn_call() -> dict[str, Any]:
    """A valid (params, xs, h0) for dlbook.rnn: D = 3, H = 4, K = 5, T = 6."""
    rng = np.random.default_rng(0)
    return {"params": rnn.init_params(3, 4, 5, scale=0.5), "xs": rng.standard_normal((6, 3)), "h0": np.zeros(4)}


def rnn_targets() -> np.ndarray:
    return np.array([0, 4, 2, 1, 3, 0])


RNN_BAD = {
    "params": [
        rnn.init_params(2, 4, 5),  # D does not match xs
        rnn.init_params(3, 4, 5)._replace(c=np.zeros(3)),
        rnn.init_params(3, 4, 5)._replace(W=np.full((4, 4), math.nan)),
    ],
    "xs": [np.zeros((6, 2))],
    "h0": [np.zeros(3)],
}
TARGETS_BAD = {"targets": [np.array([0, 5, 0, 0, 0, 0]), np.array([0, -1, 0, 0, 0, 0]), np.array([0, 1]), np.zeros(6)]}


def X() -> np.ndarray:
    return np.array([[1.0, 2.0], [-1.0, -2.0], [2.0, 0.5]])


Y = np.array([1, 0, 1])
W2 = np.array([1.0, 1.0])
POS = {"lr": [0.0, -1.0]}

W2V_TEXT = [["the", "cat", "sat"], ["the", "dog", "sat", "on", "the", "mat"]]


@functools.cache
def w2v_model() -> word2vec.Word2Vec:
    return word2vec.train_sgns(W2V_TEXT, dim=4, epochs=1)


# ----------------------------------------------------------------------------- the registry

VALID: dict[str, Callable[[], Call] | str] = {
    # activations
    "dlbook.activations.step": lambda: C(activations.step, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.sigmoid": lambda: C(activations.sigmoid, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.tanh": lambda: C(activations.tanh, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.relu": lambda: C(activations.relu, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.selu": lambda: C(activations.selu, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.gelu": lambda: C(activations.gelu, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.gelu_tanh": lambda: C(activations.gelu_tanh, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.mish": lambda: C(activations.mish, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}),
    "dlbook.activations.leaky_relu": lambda: C(
        activations.leaky_relu,
        x=ramp(),
        slope=0.1,
        bad={"slope": [-0.1]},
        ok={"slope": [0], "x": [ramp().unsqueeze(-1)]},
    ),
    "dlbook.activations.elu": lambda: C(
        activations.elu, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}, alpha=1.0, bad={"alpha": [0.0, -1.0]}
    ),
    "dlbook.activations.swish": lambda: C(
        activations.swish, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}, beta=1.702, bad={"beta": [0.0, -1.0]}
    ),
    "dlbook.activations.softplus": lambda: C(
        activations.softplus, x=ramp(), ok={"x": [ramp().unsqueeze(-1)]}, beta=2.0, bad={"beta": [0.0, -1.0]}
    ),
    "dlbook.activations.GatedFFN": lambda: C(
        activations.GatedFFN, d_model=4, d_ff=6, kind="swiglu", bad={"d_model": [0], "d_ff": [0], "kind": ["tanh"]}
    ),
    "dlbook.activations.GatedFFN.forward": lambda: C(
        activations.GatedFFN(4, 6, "geglu").forward, x=pts(3, 4), bad={"x": [pts(3, 5)]}
    ),
    "dlbook.activations.matched_d_ff": lambda: C(activations.matched_d_ff, d_ff=3072, bad={"d_ff": [0]}),
    "dlbook.activations.llama_ffn_dim": lambda: C(
        activations.llama_ffn_dim,
        dim=4096,
        multiple_of=256,
        ffn_dim_multiplier=1.3,
        bad={"dim": [0], "multiple_of": [0], "ffn_dim_multiplier": [0.0, -1.0]},
    ),
    "dlbook.activations.layer_grad_norms": lambda: C(
        activations.layer_grad_norms,
        activation="tanh",
        depth=3,
        width=4,
        n=5,
        seed=0,
        bad={"activation": ["step"], "depth": [0], "width": [0], "n": [0]},
    ),
    "dlbook.activations.born_dead_fraction": lambda: C(
        activations.born_dead_fraction,
        depth=3,
        width=2,
        n_nets=10,
        n_inputs=4,
        slope=0.0,
        seed=0,
        bad={"depth": [0], "width": [0], "n_nets": [0], "n_inputs": [0], "slope": [-0.1]},
    ),
    "dlbook.activations.best_linear_accuracy": lambda: C(
        activations.best_linear_accuracy,
        X=np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
        y=np.array([0, 1, 1, 0]),
        bad={"y": [np.array([0, 1, 2, 0]), np.array([0, 1, 1])], "X": [np.ones((13, 2))]},
    ),
    "dlbook.activations.checkerboard_labels": lambda: C(
        activations.checkerboard_labels, n=8, cells=4, seed=0, bad={"n": [0], "cells": [0]}
    ),
    "dlbook.activations.train_ffn_classifier": lambda: C(
        activations.train_ffn_classifier,
        kind="reglu",
        d_model=4,
        d_ff=6,
        blocks=1,
        steps=1,
        lr=0.01,
        n_train=8,
        n_test=8,
        seed=0,
        bad={
            "kind": ["tanh"],
            "d_model": [0],
            "d_ff": [0],
            "blocks": [0],
            "steps": [0],
            "lr": [0.0],
            "n_train": [0],
            "n_test": [0],
        },
    ),
    "dlbook.activations.silu_minimum": lambda: C(activations.silu_minimum),
    # bias_networks
    "dlbook.bias_networks.make_mlp": lambda: C(
        bias_networks.make_mlp,
        bias=True,
        in_features=1,
        hidden=3,
        depth=1,
        activation="silu",
        rms_norm=True,
        out_features=1,
        seed=0,
        bad={"in_features": [0], "hidden": [0], "depth": [0], "out_features": [0], "activation": ["tanh"]},
    ),
    "dlbook.bias_networks.make_prenorm_residual": lambda: C(
        bias_networks.make_prenorm_residual,
        activation="relu",
        in_features=2,
        width=3,
        n_blocks=1,
        out_features=1,
        seed=0,
        bad={"in_features": [0], "width": [0], "n_blocks": [0], "out_features": [0], "activation": ["tanh"]},
    ),
    "dlbook.bias_networks.homogeneity_gap": lambda: C(
        bias_networks.homogeneity_gap,
        model=bias_networks.make_mlp(False, hidden=3, depth=1),
        x=np.ones((3, 1)),
        alpha=2.0,
        degree=1,
        bad={"alpha": [0.0, -1.0], "x": [np.ones((3, 2))], "degree": [-1]},
    ),
    "dlbook.bias_networks.best_homogeneous_mse_1d": lambda: C(
        bias_networks.best_homogeneous_mse_1d,
        x=np.array([1.0, -1.0, 2.0]),
        y=np.array([1.0, 2.0, 0.0]),
        bad={"y": [np.ones(2)]},  # flattened: any shape
        ok={"x": [np.array([[1.0], [-1.0], [2.0]])], "y": [np.array([[1.0], [2.0], [0.0]])]},
    ),
    "dlbook.bias_networks.Fit1D": RECORD,
    "dlbook.bias_networks.Fit1D.__call__": lambda: C(
        fit_small(), x=np.array([0.0, 1.0]), ok={"x": [np.array([[0.0], [1.0]])]}
    ),  # any shape
    "dlbook.bias_networks.fit_1d": lambda: C(
        bias_networks.fit_1d,
        x=np.array([0.0, 1.0, 2.0]),
        y=np.array([1.0, 0.0, 1.0]),
        bias=True,
        activation="silu",
        hidden=3,
        depth=1,
        steps=2,
        lr=0.01,
        seed=0,
        device="cpu",
        bad={
            "steps": [0],
            "hidden": [0],
            "depth": [0],
            "y": [np.ones(2)],
            "device": ["nope"],
            "activation": ["tanh"],
            **POS,
        },  # flattened: any shape
        ok={"x": [np.array([[0.0], [1.0], [2.0]])], "y": [np.array([[1.0], [0.0], [1.0]])]},
    ),
    "dlbook.bias_networks.bias_before_batchnorm_gap": lambda: C(
        bias_networks.bias_before_batchnorm_gap,
        x=np.ones((4, 2)) * np.arange(4)[:, None],
        bias=np.array([0.5, -1.0]),
        out_features=2,
        seed=0,
        bad={"out_features": [0, 3], "x": [np.ones((1, 2))]},
    ),
    "dlbook.bias_networks.bias_grad_before_batchnorm": lambda: C(
        bias_networks.bias_grad_before_batchnorm,
        x=np.arange(8.0).reshape(4, 2),
        out_features=2,
        seed=0,
        bad={"out_features": [0], "x": [np.ones((1, 2))]},
    ),
    "dlbook.bias_networks.bias_norms_before_batchnorm": lambda: C(
        bias_networks.bias_norms_before_batchnorm,
        x=np.arange(8.0).reshape(4, 2),
        optimizer="adamw",
        weight_decay=0.1,
        lr=0.1,
        steps=2,
        dtype="float32",
        out_features=2,
        seed=0,
        bad={
            "dtype": ["float16"],
            "optimizer": ["rmsprop"],
            "weight_decay": [-1.0],
            "steps": [0],
            "out_features": [0],
            **POS,
        },
    ),
    # checks
    "dlbook.checks.check_int": lambda: V(checks.check_int, "n", 3, min_value=0),
    "dlbook.checks.check_bool": lambda: V(checks.check_bool, "flag", True),
    "dlbook.checks.check_real": lambda: V(checks.check_real, "b", 0.5),
    "dlbook.checks.check_positive": lambda: V(checks.check_positive, "lr", 0.5, bad=[0.0, -1.0]),
    "dlbook.checks.check_callable": lambda: V(checks.check_callable, "f", len),
    "dlbook.checks.check_values": lambda: V(checks.check_values, "xs", [1, 2]),
    "dlbook.checks.check_finite_array": lambda: V(
        checks.check_finite_array, "X", np.ones((2, 2)), ndim=2, ok=[np.ones((0, 2))]
    ),
    "dlbook.checks.check_seed": lambda: V(checks.check_seed, "seed", 3),
    "dlbook.checks.check_str": lambda: V(checks.check_str, "text", ""),
    "dlbook.checks.check_bytes": lambda: V(checks.check_bytes, "data", b"ab"),
    "dlbook.checks.check_choice": lambda: V(
        checks.check_choice, "method", "euler", choices=("euler", "heun"), bad=["Euler", ""]
    ),
    "dlbook.checks.check_instance": lambda: V(checks.check_instance, "sde", diffusion.VPSDE(), cls=diffusion.VPSDE),
    "dlbook.checks.check_tensor": lambda: V(checks.check_tensor, "x", pts(), ndim=2),
    "dlbook.checks.check_returned": lambda: V(checks.check_returned, "model", pts(), like=pts(seed=1), bad=[pts(3)]),
    "dlbook.checks.check_device": lambda: V(checks.check_device, "device", "cpu", bad=["nope", "tpu"]),
    "dlbook.checks.check_schedule": lambda: V(
        checks.check_schedule, "betas", betas(), bad=[torch.ones(3, dtype=torch.float64)]
    ),
    "dlbook.checks.check_fraction": lambda: V(checks.check_fraction, "alpha_bar", 0.5, bad=[0.0, 1.5, torch.ones(2)]),
    # corpus
    "dlbook.corpus.python_docs_corpus": lambda: C(corpus.python_docs_corpus, max_chars=10, bad={"max_chars": [0]}),
    "dlbook.corpus.sample_texts": lambda: C(corpus.sample_texts),
    "dlbook.corpus.python_docs_pages": lambda: C(corpus.python_docs_pages),
    "dlbook.corpus.python_docs_split": lambda: C(
        corpus.python_docs_split, held_out=0.1, seed=0, bad={"held_out": [0.0, 1.0]}
    ),
    "dlbook.corpus.chinese_text": lambda: C(corpus.chinese_text),
    "dlbook.corpus.zen_of_python": lambda: C(corpus.zen_of_python),
    # data
    "dlbook.data.two_moons": lambda: C(data.two_moons, n=5, noise=0.1, seed=0, bad={"n": [0], "noise": [-1.0]}),
    "dlbook.data.swiss_roll": lambda: C(data.swiss_roll, n=5, noise=0.1, seed=0, bad={"n": [0], "noise": [-1.0]}),
    "dlbook.data.eight_gaussians": lambda: C(
        data.eight_gaussians, n=5, radius=1.0, std=0.1, seed=0, bad={"n": [0], "radius": [0.0], "std": [-1.0]}
    ),
    "dlbook.data.checkerboard": lambda: C(data.checkerboard, n=5, seed=0, bad={"n": [0]}),
    "dlbook.data.make": lambda: C(data.make, name="two_moons", n=5, seed=0, bad={"name": ["moons", ""], "n": [0]}),
    # diffusion: schedules, steps, SDE
    "dlbook.diffusion.linear_beta_schedule": lambda: C(
        diffusion.linear_beta_schedule,
        T=10,
        beta_start=1e-3,
        beta_end=0.02,
        bad={"T": [0], "beta_start": [0.0, 1.0], "beta_end": [0.0, 1.5]},
    ),
    "dlbook.diffusion.alpha_bars": lambda: C(
        diffusion.alpha_bars, betas=betas(), bad={"betas": [torch.zeros(3, dtype=torch.float64)]}
    ),
    "dlbook.diffusion.q_sample": lambda: C(
        diffusion.q_sample,
        x0=pts(),
        t=3,
        alpha_bar=abar(),
        noise=pts(seed=1),
        bad={"t": [10, torch.arange(3), torch.zeros(6)]},
        good={"t": [torch.arange(6)]},
    ),
    "dlbook.diffusion.timestep_subsequence": lambda: C(
        diffusion.timestep_subsequence,
        T=10,
        steps=4,
        spacing="quadratic",
        bad={"T": [0], "steps": [0, 11], "spacing": ["cubic"]},
    ),
    "dlbook.diffusion.ddpm_step": lambda: C(
        diffusion.ddpm_step,
        x_t=pts(),
        eps=pts(seed=1),
        t=3,
        betas=betas(),
        noise=pts(seed=2),
        bad={"t": [10, torch.arange(6)]},
        ok={"noise": [None]},
    ),
    "dlbook.diffusion.ddim_step": lambda: C(
        diffusion.ddim_step,
        x_t=pts(),
        eps=pts(seed=1),
        alpha_bar_t=0.5,
        alpha_bar_prev=0.9,
        eta=0.5,
        noise=pts(seed=2),
        bad={"eta": [1.5, -0.5], "alpha_bar_t": [0.0, 1.5, 0.95], "alpha_bar_prev": [0.0, 1.5, 0.1]},
    ),
    "dlbook.diffusion.VPSDE": lambda: C(
        diffusion.VPSDE, beta_min=0.1, beta_max=20.0, bad={"beta_min": [0.0, 30.0], "beta_max": [0.0, 0.05]}
    ),
    "dlbook.diffusion.VPSDE.beta": lambda: C(diffusion.VPSDE().beta, tau=0.5, bad={"tau": [-0.1, 1.5]}),
    "dlbook.diffusion.VPSDE.alpha_bar": lambda: C(diffusion.VPSDE().alpha_bar, tau=0.5, bad={"tau": [-0.1, 1.5]}),
    "dlbook.diffusion.VPSDE.drift": lambda: C(
        diffusion.VPSDE().drift, x=pts(), tau=0.5, bad={"tau": [2.0]}, ok={"x": [pts().unsqueeze(-1)], "dim": [-1]}
    ),  # elementwise: any shape
    "dlbook.diffusion.VPSDE.diffusion": lambda: C(diffusion.VPSDE().diffusion, tau=0.5, bad={"tau": [2.0]}),
    "dlbook.diffusion.VPSDE.reverse_sde_drift": lambda: C(
        diffusion.VPSDE().reverse_sde_drift, x=pts(), tau=0.5, eps=pts(seed=1), bad={"tau": [2.0], "eps": [pts(3)]}
    ),
    "dlbook.diffusion.VPSDE.pf_ode_drift": lambda: C(
        diffusion.VPSDE().pf_ode_drift, x=pts(), tau=0.5, eps=pts(seed=1), bad={"tau": [2.0], "eps": [pts(3)]}
    ),
    "dlbook.diffusion.score_from_eps": lambda: C(
        diffusion.score_from_eps,
        eps=pts(),
        alpha_bar=0.5,
        bad={"alpha_bar": [0.0, 1.0, 1.5]},
        ok={"eps": [pts().unsqueeze(-1)]},
    ),  # elementwise: any shape
    "dlbook.diffusion.mixture_eps": lambda: C(
        diffusion.mixture_eps,
        x=pts(),
        alpha_bar=0.5,
        means=pts(3, seed=1),
        std=0.1,
        bad={"alpha_bar": [0.0, 1.0, 1.5], "means": [torch.zeros(3, 3)], "std": [-0.1]},
    ),
    # diffusion_models: network, trainer, samplers
    "dlbook.diffusion_models.sinusoidal_embedding": lambda: C(
        diffusion_models.sinusoidal_embedding,
        tau=torch.rand(4),
        dim=4,
        scale=100.0,
        bad={"dim": [0, 3], "scale": [0.0], "tau": [torch.rand(4, 1)]},
    ),
    "dlbook.diffusion_models.EpsMLP": lambda: C(
        diffusion_models.EpsMLP,
        dim=2,
        hidden=4,
        depth=1,
        emb_dim=4,
        bad={"dim": [0], "hidden": [0], "depth": [0], "emb_dim": [0, 3]},
    ),
    "dlbook.diffusion_models.EpsMLP.forward": lambda: C(
        eps_mlp().forward,
        x=pts(4),
        tau=torch.rand(4),
        bad={"x": [pts(4, 3)], "tau": [torch.rand(3)]},
        good={"x": [pts(4).double()], "tau": [torch.rand(4).double()]},
    ),
    "dlbook.diffusion_models.TrainResult": RECORD,
    "dlbook.diffusion_models.train_eps_model": lambda: C(
        diffusion_models.train_eps_model,
        data=pts(8),
        steps=2,
        batch_size=4,
        lr=1e-3,
        seed=0,
        T=10,
        hidden=4,
        depth=1,
        device="cpu",
        bad={"steps": [0], "batch_size": [0], "T": [0], "hidden": [0], "depth": [0], "device": ["nope"], **POS},
        good={"data": [pts(8).double()]},
    ),
    "dlbook.diffusion_models.sample_ddpm": lambda: sampler(diffusion_models.sample_ddpm, betas=betas()),
    "dlbook.diffusion_models.sample_ddim": lambda: sampler(
        diffusion_models.sample_ddim,
        betas=betas(),
        steps=3,
        eta=0.5,
        spacing="uniform",
        bad={"model": bad_models(), "steps": [0, 11], "eta": [1.5, -1.0], "spacing": ["cubic"]},
    ),
    "dlbook.diffusion_models.ddim_invert": lambda: C(
        diffusion_models.ddim_invert,
        model=zero_model,
        x0=pts(),
        steps=3,
        spacing="uniform",
        betas=betas(),
        return_trajectory=True,
        device="cpu",
        bad={"model": bad_models(), "steps": [0, 11], "spacing": ["cubic"], "device": ["nope"]},
    ),
    "dlbook.diffusion_models.sample_reverse_sde": lambda: sampler(
        diffusion_models.sample_reverse_sde,
        steps=3,
        sde=diffusion.VPSDE(),
        t_end=1e-3,
        bad={"model": bad_models(), "steps": [0], "t_end": [0.0, 1.0], "sde": [0, "vp"]},
    ),
    "dlbook.diffusion_models.sample_pf_ode": lambda: sampler(
        diffusion_models.sample_pf_ode,
        steps=3,
        method="heun",
        sde=diffusion.VPSDE(),
        t_end=1e-3,
        bad={"model": bad_models(), "steps": [0], "method": ["rk4"], "t_end": [0.0, 1.0], "sde": [0, "vp"]},
    ),
    # flows: NICE, exact mixture velocity, rectified flow
    "dlbook.flows.AdditiveCoupling": lambda: C(
        flows.AdditiveCoupling, dim=2, hidden=4, parity=1, bad={"dim": [3, 0], "hidden": [0], "parity": [2, -1]}
    ),
    "dlbook.flows.AdditiveCoupling.forward": lambda: C(
        flows.AdditiveCoupling(2, 4, parity=0).forward, x=pts(), bad={"x": [pts(6, 4)]}
    ),
    "dlbook.flows.AdditiveCoupling.inverse": lambda: C(
        flows.AdditiveCoupling(2, 4, parity=0).inverse, y=pts(), bad={"y": [pts(6, 4)]}
    ),
    "dlbook.flows.Scaling": lambda: C(flows.Scaling, dim=2, bad={"dim": [0]}),
    "dlbook.flows.Scaling.forward": lambda: C(flows.Scaling(2).forward, x=pts(), bad={"x": [pts(6, 3)]}),
    "dlbook.flows.Scaling.inverse": lambda: C(flows.Scaling(2).inverse, y=pts(), bad={"y": [pts(6, 3)]}),
    "dlbook.flows.NICE": lambda: C(
        flows.NICE,
        dim=2,
        n_couplings=2,
        hidden=4,
        prior="gaussian",
        alternate=False,
        bad={"dim": [3, 0], "n_couplings": [0], "hidden": [0], "prior": ["cauchy"]},
    ),
    "dlbook.flows.NICE.forward": lambda: C(flows.NICE(2, hidden=4).forward, x=pts(), bad={"x": [pts(6, 4)]}),
    "dlbook.flows.NICE.inverse": lambda: C(flows.NICE(2, hidden=4).inverse, z=pts(), bad={"z": [pts(6, 4)]}),
    "dlbook.flows.NICE.prior_log_prob": lambda: C(
        flows.NICE(2, hidden=4).prior_log_prob, z=pts(), bad={"z": [pts(6, 4)]}
    ),
    "dlbook.flows.NICE.log_prob": lambda: C(flows.NICE(2, hidden=4).log_prob, x=pts(), bad={"x": [pts(6, 4)]}),
    "dlbook.flows.NICE.sample": lambda: C(
        flows.NICE(2, hidden=4).sample, n=3, generator=torch.Generator().manual_seed(0), bad={"n": [0]}
    ),
    "dlbook.flows.train_nice": lambda: C(
        flows.train_nice,
        data=pts(8),
        steps=2,
        batch_size=4,
        lr=1e-3,
        seed=0,
        n_couplings=1,
        hidden=4,
        prior="gaussian",
        alternate=False,
        bad={"steps": [0], "batch_size": [0], "n_couplings": [0], "hidden": [0], "prior": ["x"], **POS},
        good={"data": [pts(8).double()]},
    ),
    "dlbook.flows.gaussian_nll": lambda: C(
        flows.gaussian_nll, train=pts(8), test=pts(4, seed=1), bad={"test": [pts(4, 3)]}
    ),
    "dlbook.flows.mixture_log_prob": lambda: C(
        flows.mixture_log_prob,
        x=pts(),
        means=pts(3, seed=1),
        std=0.5,
        weights=torch.tensor([0.2, 0.3, 0.5]),
        bad={
            "means": [torch.zeros(3, 3)],
            "std": [0.0, -1.0],
            "weights": [torch.tensor([0.5, 0.6, 0.1]), torch.tensor([0.5, 0.5]), torch.tensor([1.2, -0.1, -0.1])],
        },
    ),
    "dlbook.flows.divergence": lambda: C(
        flows.divergence, drift=lambda x, t: 2.0 * x, x=pts(), t=0.5, bad={"x": [torch.randn(3)]}
    ),
    "dlbook.flows.mixture_velocity": lambda: C(
        flows.mixture_velocity,
        x=pts(),
        t=0.5,
        means=pts(3, seed=1),
        std=0.5,
        weights=torch.tensor([0.2, 0.3, 0.5]),
        bad={
            "t": [-0.1, 1.5],
            "means": [torch.zeros(3, 3)],
            "std": [0.0, -1.0],
            "weights": [torch.tensor([0.5, 0.6, 0.1]), torch.tensor([0.5, 0.5]), torch.tensor([1.2, -0.1, -0.1])],
        },
    ),
    "dlbook.flows.VelocityMLP": lambda: C(
        flows.VelocityMLP, dim=2, hidden=4, depth=1, bad={"dim": [0], "hidden": [0], "depth": [0]}
    ),
    "dlbook.flows.VelocityMLP.forward": lambda: C(
        flows.VelocityMLP(2, hidden=4, depth=1).forward,
        x=pts(),
        t=torch.rand(6),
        bad={"x": [pts(6, 3)], "t": [torch.rand(5), 1.5, -0.5, torch.full((6,), 2.0)]},
        good={"t": [0.5]},
    ),
    "dlbook.flows.train_velocity": lambda: C(
        flows.train_velocity,
        x0=pts(8),
        x1=pts(8, seed=1),
        steps=2,
        batch_size=4,
        lr=1e-3,
        seed=0,
        hidden=4,
        depth=1,
        bad={"x1": [pts(7)], "steps": [0], "batch_size": [0], "hidden": [0], "depth": [0], **POS},
    ),
    "dlbook.flows.sample_flow": lambda: C(
        flows.sample_flow,
        velocity=lambda x, t: -x,
        x0=pts(),
        steps=2,
        record=True,
        bad={"velocity": [lambda x, t: x[:, :1]], "steps": [0]},
    ),
    "dlbook.flows.straightness": lambda: C(
        flows.straightness, velocity=lambda x, t: -x, x0=pts(), steps=2, bad={"steps": [0]}
    ),
    "dlbook.flows.near_mode_fraction": lambda: C(
        flows.near_mode_fraction, x=pts(), means=pts(3, seed=1), radius=0.3, bad={"radius": [0.0], "means": [pts(3, 3)]}
    ),
    # display
    "dlbook.display.show_bytes": lambda: C(display.show_bytes, data=b"\xe4\xbd"),
    "dlbook.display.tokens_html": lambda: C(
        display.tokens_html, pieces=[b"ab", b" c"], title="split", ok={"pieces": [[]]}, bad={"pieces": [["ab"]]}
    ),
    # metrics
    "dlbook.metrics.wasserstein_1d": lambda: C(
        metrics.wasserstein_1d, u=np.array([0.0, 1.0]), v=np.array([0.5, 2.0, 3.0])
    ),
    "dlbook.metrics.random_directions": lambda: C(
        metrics.random_directions, n_projections=3, dim=2, seed=0, bad={"n_projections": [0], "dim": [0]}
    ),
    "dlbook.metrics.sliced_wasserstein": lambda: C(
        metrics.sliced_wasserstein,
        a=pts(),
        b=pts(4, seed=1),
        n_projections=4,
        seed=0,
        bad={"n_projections": [0], "b": [pts(4, 3)]},
        ok={
            "a": [pts().tolist(), pts().long()],  # array-likes of numbers
            "b": [pts(4, seed=1).tolist(), pts(4, seed=1).long()],
        },
    ),
    # ode
    "dlbook.ode.Solution": RECORD,
    # the ODE machinery works on points of any shape
    "dlbook.ode.Recorder": lambda: C(
        ode.Recorder, x=pts(), t=1.0, on=True, ok={"x": [pts().unsqueeze(-1)], "dim": [-1]}
    ),
    "dlbook.ode.Recorder.add": lambda: C(
        ode.Recorder(pts(), 1.0, on=True).add, x=pts(seed=1), t=0.5, ok={"x": [pts(seed=1).unsqueeze(-1)]}
    ),
    "dlbook.ode.Recorder.solution": lambda: C(
        ode.Recorder(pts(), 1.0, on=True).solution, x=pts(seed=1), nfe=1, ok={"x": [pts(seed=1).unsqueeze(-1)]}
    ),
    "dlbook.ode.time_grid": lambda: C(ode.time_grid, start=1.0, end=0.1, steps=3, bad={"steps": [0]}),
    "dlbook.ode.euler_step": lambda: C(
        ode.euler_step,
        drift=lambda x, t: -x,
        x=pts(),
        t=1.0,
        t_next=0.5,
        bad={"drift": [lambda x, t: x[:1], lambda x, t: x * math.nan]},
        ok={"x": [pts().unsqueeze(-1)], "dim": [-1]},
    ),
    "dlbook.ode.heun_step": lambda: C(
        ode.heun_step,
        drift=lambda x, t: -x,
        x=pts(),
        t=1.0,
        t_next=0.5,
        bad={"drift": [lambda x, t: x[:1], lambda x, t: x * math.nan]},
        ok={"x": [pts().unsqueeze(-1)], "dim": [-1]},
    ),
    "dlbook.ode.integrate": lambda: C(
        ode.integrate,
        drift=lambda x, t: -x,
        x=pts(),
        times=[1.0, 0.5, 0.0],
        method="heun",
        record=True,
        bad={
            "drift": [lambda x, t: x[:1], lambda x, t: x * math.nan],
            "times": [[1.0], [1.0, math.nan]],
            "method": ["rk4"],
        },
        ok={"x": [pts().unsqueeze(-1)], "dim": [-1]},
    ),
    # perceptron
    "dlbook.perceptron.threshold_unit": lambda: C(
        perceptron.threshold_unit, X=X(), w=W2, T=0.5, bad={"w": [np.ones(3)]}
    ),
    "dlbook.perceptron.predict": lambda: C(perceptron.predict, X=X(), w=W2, b=0.5, bad={"w": [np.ones(3)]}),
    "dlbook.perceptron.augment": lambda: C(perceptron.augment, X=X()),
    "dlbook.perceptron.PerceptronResult": RECORD,
    "dlbook.perceptron.perceptron_step": lambda: C(
        perceptron.perceptron_step,
        w=W2.copy(),
        b=0.0,
        x=np.array([1.0, -2.0]),
        y=1,
        lr=1.0,
        bias=True,
        bad={"y": [2, 0.5], "x": [np.ones(3)], **POS},
    ),
    "dlbook.perceptron.train_perceptron": lambda: C(
        perceptron.train_perceptron,
        X=X(),
        y=Y,
        bias=False,
        T=0.5,
        lr=1.0,
        max_epochs=3,
        seed=0,
        bad={"y": [np.array([0, 1, 2]), np.ones(2)], "max_epochs": [0], **POS},
    ),
    "dlbook.perceptron.separable_blobs": lambda: C(
        perceptron.separable_blobs,
        n=10,
        offset=0.5,
        margin=0.2,
        angle=0.3,
        extent=3.0,
        seed=0,
        bad={"n": [0, 1], "margin": [0.0, -1.0], "extent": [0.0, 0.6], "offset": [-1.0, 5.0]},
    ),
    "dlbook.perceptron.margin": lambda: C(
        perceptron.margin, X=X(), y=Y, w=W2, b=0.5, bad={"y": [np.array([0, 1, 3])], "w": [np.ones(3)]}
    ),
    "dlbook.perceptron.convergence_bound": lambda: C(
        perceptron.convergence_bound, X=X(), y=Y, w_star=W2, b_star=0.1, bad={"w_star": [-W2, np.zeros(2)]}
    ),
    "dlbook.perceptron.frozen_threshold_bound": lambda: C(
        perceptron.frozen_threshold_bound,
        X=X(),
        y=Y,
        u=W2,
        T=0.5,
        lr=0.01,
        bad={"u": [-W2, np.ones(3)], "y": [np.array([0, 1, 3])], **POS},
    ),
    "dlbook.perceptron.origin_surrounded": lambda: C(perceptron.origin_surrounded, X=X(), bad={"X": [np.ones((3, 3))]}),
    # plotting
    "dlbook.plotting.use_book_style": lambda: C(plotting.use_book_style),
    "dlbook.plotting.figure_alt": lambda: C(plotting.figure_alt, fig=figure()),
    "dlbook.plotting.figure_png": lambda: C(
        plotting.figure_png, fig=figure(), alt="a line", close=True, colors=16, bad={"colors": [0, 1, 300]}
    ),
    "dlbook.plotting.figure_html": lambda: C(plotting.figure_html, fig=figure(), alt="a line"),
    "dlbook.plotting.shown_width": lambda: C(
        plotting.shown_width, png=plotting.figure_png(figure()), bad={"png": [b"not a png"]}
    ),
    "dlbook.plotting.subplots": lambda: C(
        plotting.subplots,
        nrows=1,
        ncols=2,
        width=2.0,
        height=1.0,
        bad={"nrows": [0], "ncols": [0], "width": [0.0, -1.0], "height": [0.0]},
    ),
    # rnn: a vanilla RNN (D = 3, H = 4, K = 5) over T = 6 steps
    "dlbook.rnn.RNNParams": RECORD,
    "dlbook.rnn.Forward": RECORD,
    "dlbook.rnn.CharRNN": RECORD,
    "dlbook.rnn.init_params": lambda: C(
        rnn.init_params,
        input_size=3,
        hidden_size=4,
        output_size=5,
        scale=0.1,
        seed=0,
        bad={"input_size": [0], "hidden_size": [0], "output_size": [0], "scale": [0.0, -1.0]},
    ),
    "dlbook.rnn.rnn_forward": lambda: C(rnn.rnn_forward, **rnn_call(), bad=RNN_BAD),
    "dlbook.rnn.rnn_loss": lambda: C(rnn.rnn_loss, **rnn_call(), targets=rnn_targets(), bad=RNN_BAD | TARGETS_BAD),
    "dlbook.rnn.bptt": lambda: C(
        rnn.bptt, **rnn_call(), targets=rnn_targets(), truncate=2, bad=RNN_BAD | TARGETS_BAD | {"truncate": [0]}
    ),
    "dlbook.rnn.jacobian_through_time": lambda: C(rnn.jacobian_through_time, **rnn_call(), bad=RNN_BAD),
    "dlbook.rnn.step_jacobian": lambda: C(
        rnn.step_jacobian, W=np.eye(2) * 0.5, h=np.array([0.1, -0.3]), bad={"W": [np.eye(3)], "h": [np.zeros(3)]}
    ),
    "dlbook.rnn.clip_by_norm": lambda: C(
        rnn.clip_by_norm,
        grads=rnn.init_params(3, 4, 5),
        max_norm=1.0,
        bad={"grads": [rnn.init_params(3, 4, 5)._replace(W=np.ones((3, 3)))], "max_norm": [0.0, -1.0]},
    ),
    "dlbook.rnn.encode_text": lambda: C(rnn.encode_text, text="abca", bad={"text": [""]}),
    "dlbook.rnn.one_hot": lambda: C(
        rnn.one_hot,
        ids=np.array([0, 2, 1]),
        size=3,
        bad={"ids": [np.array([0, 3]), np.array([-1, 0]), np.array([0.0, 1.0])], "size": [0]},
        ok={"ids": [np.array([0, 2, 1])[:0]]},  # no ids: no rows
    ),
    "dlbook.rnn.unigram_entropy": lambda: C(
        rnn.unigram_entropy, ids=np.array([0, 2, 1, 0]), bad={"ids": [np.array([-1, 0]), np.array([0.5])]}
    ),
    "dlbook.rnn.train_char_rnn": lambda: C(
        rnn.train_char_rnn,
        text="abcabcabc",
        hidden_size=3,
        seq_length=3,
        steps=2,
        lr=0.1,
        max_norm=5.0,
        seed=0,
        bad={"text": ["", "abc"], "hidden_size": [0], "seq_length": [0, 20], "steps": [0], "max_norm": [0.0], **POS},
    ),
    "dlbook.rnn.sample_text": lambda: C(
        rnn.sample_text,
        params=rnn.init_params(3, 4, 3),
        chars="abc",
        start="ab",
        length=4,
        seed=0,
        bad={"chars": ["", "ab"], "start": ["", "az"], "params": [rnn.init_params(2, 4, 3)]},
    ),
    # seeding
    "dlbook.seeding.seed_everything": lambda: C(seeding.seed_everything, seed=0),
    "dlbook.seeding.device": lambda: C(seeding.device),
    "dlbook.seeding.torch_threads": lambda: C(seeding.torch_threads, n=1, bad={"n": [0]}),
    # source
    "dlbook.source.source_markdown": lambda: C(
        source.source_markdown, obj=checks.check_int, bad={"obj": [3, "check_int", len]}
    ),
    "dlbook.source.show_source": lambda: C(source.show_source, obj=checks.check_int, bad={"obj": [3, len]}),
    # surrogates (and the shared validator it added to checks)
    "dlbook.checks.check_probabilities": lambda: V(
        checks.check_probabilities,
        "probs",
        torch.tensor([[0.25, 0.75]]),
        ndim=2,
        rows_sum_to_one=True,
        bad=[torch.tensor([[0.5, 0.6]]), torch.tensor([[-0.5, 1.5]])],
    ),
    "dlbook.surrogates.smooth_max": lambda: C(
        surrogates.smooth_max,
        x=pts(),
        k=2.0,
        dim=0,
        bad={"k": [0.0, -1.0], "dim": [2, -3]},
        ok={"x": [pts().unsqueeze(-1)], "dim": [-1]},
    ),
    "dlbook.surrogates.smooth_onehot": lambda: C(
        surrogates.smooth_onehot,
        x=pts(),
        k=2.0,
        dim=-1,
        bad={"k": [0.0], "dim": [2]},
        ok={"x": [pts().unsqueeze(-1)], "dim": [-1]},
    ),
    "dlbook.surrogates.soft_argmax": lambda: C(
        surrogates.soft_argmax,
        x=pts(),
        k=2.0,
        dim=-1,
        bad={"k": [0.0], "dim": [2]},
        ok={"x": [pts().unsqueeze(-1)], "dim": [-1]},
    ),
    "dlbook.surrogates.onehot_l1_bound": lambda: C(
        surrogates.onehot_l1_bound,
        x=pts(),
        k=2.0,
        dim=0,
        bad={"k": [0.0], "dim": [2]},
        ok={"x": [pts().unsqueeze(-1)], "dim": [-1]},
    ),
    "dlbook.surrogates.soft_accuracy": lambda: C(
        surrogates.soft_accuracy,
        probs=torch.tensor([[0.25, 0.75], [1.0, 0.0]]),
        labels=torch.tensor([1, 0]),
        bad={
            "probs": [torch.tensor([[0.5, 0.6], [1.0, 0.0]]), torch.tensor([[-0.5, 1.5], [1.0, 0.0]])],
            "labels": [torch.tensor([1, 2]), torch.tensor([1]), torch.tensor([1.0, 0.0])],
        },
    ),
    "dlbook.surrogates.soft_f1": lambda: C(
        surrogates.soft_f1,
        probs=torch.tensor([0.2, 0.9]),
        targets=torch.tensor([0.0, 1.0]),
        bad={"probs": [torch.tensor([0.2, 1.1]), torch.tensor([0.2])], "targets": [torch.tensor([0.0, 2.0])]},
    ),
    "dlbook.surrogates.three_point_risk": lambda: C(
        surrogates.three_point_risk, b=np.array([0.1, 0.7]), loss="hinge", k=2.0, bad={"loss": ["mse"], "k": [0.0]}
    ),
    "dlbook.surrogates.risk_argmin": lambda: C(
        surrogates.risk_argmin, loss="hinge", k=2.0, step=1e-3, bad={"loss": ["mse"], "k": [0.0], "step": [0.0, 0.5]}
    ),
    "dlbook.surrogates.cross_entropy_optimum": lambda: C(surrogates.cross_entropy_optimum, k=2.0, bad={"k": [0.0]}),
    "dlbook.surrogates.band_temperature": lambda: C(
        surrogates.band_temperature, low=1.0, high=8.0, bad={"low": [0.0, 4.0], "high": [0.0, 2.0]}
    ),
    "dlbook.surrogates.imbalanced_gaussians": lambda: C(
        surrogates.imbalanced_gaussians,
        n=10,
        pos_rate=0.2,
        dim=2,
        shift=1.0,
        seed=0,
        bad={"n": [0], "pos_rate": [0.0, 1.0], "dim": [0], "shift": [-1.0]},
    ),
    "dlbook.surrogates.predict_proba": lambda: C(
        surrogates.predict_proba, model=torch.nn.Linear(2, 1), X=pts(), bad={"X": [pts(d=3)]}
    ),
    "dlbook.surrogates.fit_linear": lambda: C(
        surrogates.fit_linear,
        X=pts(),
        y=torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 0.0]),
        loss="soft_f1",
        epochs=1,
        batch_size=3,
        lr=0.1,
        seed=0,
        init=torch.nn.Linear(2, 1),
        bad={
            "y": [torch.full((6,), 0.5), torch.ones(5)],
            "loss": ["mse"],
            "epochs": [0],
            "batch_size": [0],
            "lr": [0.0],
            "init": [torch.nn.Linear(3, 1), torch.nn.Linear(2, 2)],
        },
    ),
    "dlbook.surrogates.best_threshold": lambda: C(
        surrogates.best_threshold,
        probs=torch.tensor([0.2, 0.9, 0.4]),
        targets=torch.tensor([0.0, 1.0, 1.0]),
        bad={"probs": [torch.tensor([0.2, 1.1, 0.4]), torch.tensor([0.2])], "targets": [torch.zeros(3)]},
    ),
    "dlbook.surrogates.batch_soft_f1": lambda: C(
        surrogates.batch_soft_f1,
        probs=torch.tensor([0.2, 0.9, 0.4]),
        targets=torch.tensor([0.0, 1.0, 1.0]),
        batch_size=2,
        n_batches=4,
        seed=0,
        bad={
            "probs": [torch.tensor([0.0, 0.9, 0.4]), torch.tensor([0.2, 1.1, 0.4])],
            "targets": [torch.tensor([0.0, 1.0])],
            "batch_size": [0, 4],
            "n_batches": [0],
        },
    ),
    "dlbook.surrogates.f1_comparison": lambda: C(
        surrogates.f1_comparison,
        seed=0,
        n_train=60,
        n_val=60,
        n_test=20,
        pos_rate=0.3,
        shift=1.0,
        epochs=1,
        finetune_epochs=1,
        finetune_lr=0.01,
        batch_size=30,
        bad={
            "n_train": [0],
            "n_val": [0, 1],  # 1: no positive to tune the threshold on
            "n_test": [0],
            "pos_rate": [0.0, 1.0],
            "shift": [-1.0],
            "epochs": [0],
            "finetune_epochs": [0],
            "finetune_lr": [0.0],
            "batch_size": [0],
        },
    ),
    # tokenization
    "dlbook.tokenization.text_to_bytes": lambda: C(tokenization.text_to_bytes, text="héllo", ok={"text": [""]}),
    "dlbook.tokenization.pretokenize": lambda: C(
        tokenization.pretokenize,
        text=TEXT,
        pattern=tokenization.GPT2_SPLIT_PATTERN,
        bad={"pattern": ["", "a*", "(", 3]},
    ),
    "dlbook.tokenization.pair_counts": lambda: C(
        tokenization.pair_counts,
        ids=[1, 2, 1, 2],
        counts={(1, 2): 1},
        weight=2,
        bad={"ids": [[1, "a"], [1, -2], [1.0, 2.0]], "counts": [[(1, 2)]], "weight": [0]},
        ok={"ids": [[]]},
    ),
    "dlbook.tokenization.merge_pair": lambda: C(
        tokenization.merge_pair,
        ids=[1, 2, 3],
        pair=(1, 2),
        new_id=256,
        bad={"ids": [[1, "a"], [1, -2]], "pair": [(1,), (1, "a"), [1, 2]]},
        ok={"ids": [[]]},
    ),
    "dlbook.tokenization.best_pair": lambda: C(
        tokenization.best_pair, counts={(1, 2): 3, (2, 3): 1}, bad={"counts": [{1: 2}, {(1, 2): "x"}]}
    ),
    "dlbook.tokenization.train_naive": lambda: C(
        tokenization.train_naive,
        text=TEXT,
        vocab_size=258,
        pattern=tokenization.GPT2_SPLIT_PATTERN,
        bad={"vocab_size": [255], "pattern": ["", "("]},
        ok={"text": [""]},
    ),
    "dlbook.tokenization.train_trace": lambda: C(
        tokenization.train_trace,
        text=TEXT,
        vocab_size=258,
        pattern=None,
        bad={"vocab_size": [255], "pattern": ["", "("]},
        ok={"text": [""]},
    ),
    "dlbook.tokenization.merge_in_place": lambda: C(
        tokenization.merge_in_place, **linked_state(), bad={"tok": [[1, 2]], "where": [{}], "pair": [(1,)]}
    ),
    "dlbook.tokenization.train_merges": lambda: C(
        tokenization.train_merges,
        text=TEXT,
        vocab_size=258,
        pattern=tokenization.GPT2_SPLIT_PATTERN,
        bad={"vocab_size": [255], "pattern": ["", "("]},
        ok={"text": [""]},
    ),
    "dlbook.tokenization.vocab_from_merges": lambda: C(
        tokenization.vocab_from_merges,
        merges={(97, 98): 256},
        bad={"merges": [{(97, 98): 300}, {(97,): 256}, {(97, 98): "x"}]},
        ok={"merges": [{}]},
    ),
    "dlbook.tokenization.BPETokenizer": lambda: C(
        tokenization.BPETokenizer, pattern=tokenization.GPT2_SPLIT_PATTERN, bad={"pattern": ["", "("]}
    ),
    "dlbook.tokenization.BPETokenizer.from_merges": lambda: C(
        tokenization.BPETokenizer.from_merges,
        merges={(97, 98): 256},
        pattern=None,
        bad={"merges": [{(97, 98): 300}], "pattern": [""]},
        ok={"merges": [{}]},
    ),
    "dlbook.tokenization.BPETokenizer.train": lambda: C(
        tokenization.BPETokenizer().train, text=TEXT, vocab_size=258, bad={"vocab_size": [255]}, ok={"text": [""]}
    ),
    "dlbook.tokenization.BPETokenizer.truncated": lambda: C(
        tokenizer().truncated, vocab_size=258, bad={"vocab_size": [255]}
    ),
    "dlbook.tokenization.BPETokenizer.encode_chunk": lambda: C(
        tokenizer().encode_chunk, data=b"aaab", ok={"data": [b""]}
    ),
    "dlbook.tokenization.BPETokenizer.encode_long_chunk": lambda: C(
        tokenizer().encode_long_chunk, data=b"aaab", ok={"data": [b""]}
    ),
    "dlbook.tokenization.BPETokenizer.encode": lambda: C(tokenizer().encode, text=TEXT, ok={"text": [""]}),
    "dlbook.tokenization.BPETokenizer.decode_bytes": lambda: C(
        tokenizer().decode_bytes, ids=[97, 256], bad={"ids": [[97, 9999], [-1], ["a"], [1.0]]}, ok={"ids": [[]]}
    ),
    "dlbook.tokenization.BPETokenizer.decode": lambda: C(
        tokenizer().decode, ids=[97, 256], bad={"ids": [[97, 9999], [-1], ["a"], [1.0]]}, ok={"ids": [[]]}
    ),
    "dlbook.tokenization.BPETokenizer.token_bytes": lambda: C(tokenizer().token_bytes, text=TEXT, ok={"text": [""]}),
    "dlbook.tokenization.BPETokenizer.save": lambda: C(tokenizer().save, path=str(tmp_dir() / "tok.txt")),
    "dlbook.tokenization.BPETokenizer.load": lambda: C(
        tokenization.BPETokenizer.load,
        path=saved_tokenizer(),
        bad={
            "path": [
                bad_file("dlbook-bpe v1\npattern null\n1 ²\n"),
                bad_file("dlbook-bpe v1\npattern null\n1\n"),
                bad_file("nope\n"),
            ]
        },
    ),
    "dlbook.tokenization.bytes_per_token": lambda: C(tokenization.bytes_per_token, tokenizer=tokenizer(), text=TEXT),
    "dlbook.tokenization.compression_curve": lambda: C(
        tokenization.compression_curve,
        tokenizer=tokenizer(),
        text=TEXT,
        vocab_sizes=[256, 258],
        bad={"vocab_sizes": [[255], [256.0]]},
    ),
    # tokenizer_adapters
    "dlbook.tokenizer_adapters.to_tiktoken": lambda: C(
        tokenizer_adapters.to_tiktoken,
        tokenizer=tokenizer(),
        name="probe",
        special_tokens={"<|endoftext|>": 262},
        bad={
            "tokenizer": [tokenization.BPETokenizer(pattern=None)],
            "special_tokens": [{"<|endoftext|>": 261}, {"": 262}, {"a": 262, "b": 262}, {"a": "262"}],
        },
    ),
    "dlbook.tokenizer_adapters.train_hf_byte_level": lambda: C(
        tokenizer_adapters.train_hf_byte_level, text=TEXT, vocab_size=258, bad={"vocab_size": [255]}
    ),
    "dlbook.tokenizer_adapters.gpt2_bytes_to_unicode": lambda: C(tokenizer_adapters.gpt2_bytes_to_unicode),
    # sentencepiece_bpe
    "dlbook.sentencepiece_bpe.train_sentencepiece_bpe": lambda: C(
        sentencepiece_bpe.train_sentencepiece_bpe,
        text=TEXT,
        vocab_size=280,
        bad={"text": ["", " \n "], "vocab_size": [259, 261]},  # 261: too small for TEXT's characters
    ),
    "dlbook.tokenizer_adapters.hf_vocab_bytes": lambda: C(tokenizer_adapters.hf_vocab_bytes, hf_tokenizer=hf()),
    "dlbook.tokenizer_adapters.hf_merge_bytes": lambda: C(tokenizer_adapters.hf_merge_bytes, hf_tokenizer=hf()),
    "dlbook.tokenizer_adapters.first_divergence": lambda: C(
        tokenizer_adapters.first_divergence,
        ours=tokenization.BPETokenizer(tokenization.GPT2_SPLIT_PATTERN).train(TEXT, 262),
        hf_tokenizer=hf(),
        text=TEXT,
    ),
    # cache: the valid call caches a data set in a temporary folder; its arguments reach the data maker,
    # which names them itself
    "dlbook.cache.cache_dir": lambda: C(cache.cache_dir),
    "dlbook.cache.source_digest": lambda: C(cache.source_digest),
    "dlbook.cache.cached": lambda: C(in_tmp_cache(cache.cached), f=data.two_moons, n=8, says={"f": "fn"}),
    "dlbook.cache.compute_seconds": lambda: C(
        in_tmp_cache(cache.compute_seconds), f=data.two_moons, n=8, says={"f": "fn"}
    ),
    # exercises: a correct answer to the tour's exercise (one gradient-descent step on x**2)
    "dlbook.exercises.check": lambda: C(
        exercises.check, exercise_id="ex-tour-1", answer=lambda x, lr: x - 2 * lr * x, bad={"exercise_id": ["ex-0"]}
    ),
    # checkpointing
    "dlbook.checkpointing.Step": RECORD,
    "dlbook.checkpointing.Schedule": RECORD,
    "dlbook.checkpointing.simulate": lambda: C(
        checkpointing.simulate, n=9, strategy="checkpoint", every=3, bad={"n": [0], "strategy": ["sqrt"], "every": [0]}
    ),
    "dlbook.checkpointing.ActivationMemory": lambda: C(checkpointing.ActivationMemory),
    "dlbook.checkpointing.saved_tensor_bytes": lambda: Call(
        checkpointing.saved_tensor_bytes, {"fn": lambda: checkpointing.make_chain(2, width=2)(pts(3, 2).double())}
    ),  # Call, since C's own first parameter is fn; *args (fn's tensors) cannot be passed by keyword: unit-tested
    "dlbook.checkpointing.checkpoint_sequential": lambda: C(
        checkpointing.checkpoint_sequential,
        layers=[torch.nn.Tanh(), torch.nn.Tanh()],
        segments=2,
        x=pts(),
        bad={"segments": [0, 3], "layers": [[torch.nn.Tanh(), "tanh"], torch.nn.Tanh()]},
        ok={"x": [pts().unsqueeze(-1)]},  # elementwise layers take any shape
    ),
    "dlbook.checkpointing.make_chain": lambda: C(
        checkpointing.make_chain, n=2, width=3, seed=0, bad={"n": [0], "width": [0]}
    ),
    "dlbook.checkpointing.training_step": lambda: C(
        checkpointing.training_step,
        model=checkpointing.make_chain(3, width=2),
        x=pts(4, 2).double(),
        segments=2,
        micro_batches=2,
        ours=True,
        bad={"segments": [0, 4], "micro_batches": [0, 5], "model": [torch.nn.Tanh()]},
    ),
    "dlbook.checkpointing.count_layer_calls": lambda: C(
        checkpointing.count_layer_calls, model=checkpointing.make_chain(2, width=2), run=lambda: None
    ),
    # widgets
    "dlbook.widgets.frame_widget": lambda: C(widgets.frame_widget, frame="<b>a</b>", alt="bold a"),
    "dlbook.widgets.render_frames": lambda: C(
        widgets.render_frames,
        plot_fn=html_frame,
        arguments=[(1,), (2,)],
        shows=["v = 1", "v = 2"],
        alt="a bold number",
        bad={
            "plot_fn": [lambda v: 3, lambda v: 1 / 0],
            "arguments": [[1, 2]],
            "shows": [["v = 1"], ["v = 1", 2]],
            "alt": [lambda v: 3],
        },
    ),
    "dlbook.widgets.slider_view": lambda: C(
        widgets.slider_view,
        frames=frames(2),
        values=[1, 2],
        description="v",
        fmt=".1f",
        start=2,
        bad={
            "frames": [frames(3), ["a", "b"]],
            "values": [[1, 1.0000001]],
            "fmt": [".1q", 3, lambda v: 3],
            "start": [3, "2"],
        },
    ),
    "dlbook.widgets.grid_view": lambda: C(
        widgets.grid_view,
        frames=[frames(2), frames(2)],
        xs=[1, 2],
        ys=["a", "b"],
        x_description="x",
        y_description="y",
        x_fmt=None,
        y_fmt=None,
        bad={"frames": [[frames(2)], [frames(1), frames(1)]], "x_fmt": [3], "y_fmt": [".1q"]},
    ),
    "dlbook.widgets.static_slider": lambda: C(
        widgets.static_slider,
        plot_fn=html_frame,
        alt="a bold number",
        values=[1, 2],
        description="v",
        fmt=None,
        start=2,
        bad={"plot_fn": [lambda v: 3], "values": [[1, 1]], "fmt": [3], "alt": [lambda v: 3], "start": [0, "2"]},
        good={"alt": [lambda v: f"frame {v}"]},
    ),
    "dlbook.widgets.static_grid": lambda: C(
        widgets.static_grid,
        plot_fn=html_frame,
        alt="a bold number",
        xs=[1, 2],
        ys=[3],
        x_description="x",
        y_description="y",
        x_fmt=None,
        y_fmt=None,
        bad={"plot_fn": [lambda x, y: 3], "x_fmt": [3], "y_fmt": [3], "alt": [lambda x, y: 3]},
        good={"alt": [lambda x, y: f"frame {x}, {y}"]},
    ),
    "dlbook.widgets.static_animation": lambda: C(
        widgets.static_animation,
        plot_fn=html_frame,
        alt="a bold number",
        steps=[1, 2],
        description="step",
        interval_ms=100,
        fmt=None,
        bad={"plot_fn": [lambda v: 3], "interval_ms": [0], "fmt": [3], "alt": [lambda v: 3]},
        good={"alt": [lambda v: f"frame {v}"]},
    ),
    "dlbook.widgets.live_slider": lambda: C(
        widgets.live_slider, plot_fn=html_frame, v=(0.0, 1.0, 0.5), ok={"v": ["text", 3]}
    ),  # a text box, an int slider
    # receptive_field
    "dlbook.receptive_field.Layer": lambda: C(
        receptive_field.Layer,
        kernel=3,
        stride=2,
        padding=1,
        dilation=2,
        name="conv1",
        bad={"kernel": [0], "stride": [0], "dilation": [0]},
    ),
    "dlbook.receptive_field.Field": RECORD,
    "dlbook.receptive_field.Field.span": lambda: C(receptive_field.Field(5, 2, 1).span, unit=3),
    "dlbook.receptive_field.receptive_fields": lambda: C(
        receptive_field.receptive_fields,
        layers=[receptive_field.Layer(3), receptive_field.Layer(2, 2)],
        bad={"layers": [[3]]},
    ),
    "dlbook.receptive_field.receptive_field_top_down": lambda: C(
        receptive_field.receptive_field_top_down,
        layers=[receptive_field.Layer(3), receptive_field.Layer(2, 2)],
        bad={"layers": [[3]]},
    ),
    "dlbook.receptive_field.layers_from_module": lambda: C(
        receptive_field.layers_from_module,
        module=torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3), torch.nn.ReLU()),
        input_shape=(1, 1, 8, 8),
        bad={
            "module": [
                torch.nn.Flatten(),
                torch.nn.Sequential(torch.nn.ReLU()),
                torch.nn.Sequential(torch.nn.Conv2d(1, 1, (3, 1))),
            ],
            "input_shape": [(1, 1, 2, 2), (8, 8), (1, 1, 0, 8), (1, 2, 8, 8)],
        },
    ),
    "dlbook.receptive_field.input_gradient": lambda: C(
        receptive_field.input_gradient,
        module=receptive_field.conv_stack([receptive_field.Layer(3, 2)]),
        input_shape=(1, 1, 9, 9),
        unit=(2, 1),
        seed=0,
        bad={"unit": [(4, 0), (1,), (-1, 0)], "input_shape": [(1, 1, 2, 2)]},
    ),
    "dlbook.receptive_field.gradient_support": lambda: C(
        receptive_field.gradient_support,
        module=receptive_field.conv_stack([receptive_field.Layer(3, 2)]),
        input_shape=(1, 1, 9, 9),
        unit=(2, 1),
        seed=0,
        bad={"unit": [(4, 0), (1,), (-1, 0)], "input_shape": [(1, 1, 2, 2)]},
    ),
    "dlbook.receptive_field.gradient_spread": lambda: C(
        receptive_field.gradient_spread, gradient=torch.tensor([1.0, 2.0, 1.0]), bad={"gradient": [torch.zeros(3)]}
    ),
    "dlbook.receptive_field.conv_stack": lambda: C(
        receptive_field.conv_stack,
        layers=[receptive_field.Layer(3, name="conv"), receptive_field.Layer(2, 2, name="pool")],
        dims=2,
        pool="max",
        dtype=torch.float32,
        bad={"layers": [[3]], "dims": [0, 3], "pool": ["median"], "dtype": [torch.int64]},
    ),
    "dlbook.receptive_field.uniform_stack": lambda: C(
        receptive_field.uniform_stack, n=2, kernel=3, dims=1, bad={"n": [0], "kernel": [0], "dims": [0, 3]}
    ),
    "dlbook.receptive_field.bottleneck_resnet": lambda: C(
        receptive_field.bottleneck_resnet, stride_at="last", bad={"stride_at": ["middle"]}
    ),
    # word2vec (and the Wikipedia sample it trains on)
    "dlbook.corpus.wikipedia_sample": lambda: C(corpus.wikipedia_sample, chunk_tokens=1000, bad={"chunk_tokens": [0]}),
    "dlbook.word2vec.Vocab": RECORD,
    "dlbook.word2vec.Vocab.ids": lambda: C(w2v_model().vocab.ids, word="cat", bad={"word": ["unicorn"]}),
    "dlbook.word2vec.build_vocab": lambda: C(
        word2vec.build_vocab,
        sentences=W2V_TEXT,
        min_count=1,
        bad={"sentences": [[], [[]], [["a", 1]]], "min_count": [0, 99]},
    ),
    "dlbook.word2vec.noise_distribution": lambda: C(
        word2vec.noise_distribution,
        counts=np.array([3, 2, 1]),
        power=0.75,
        bad={"counts": [np.array([1, 0]), np.array([1.5])], "power": [-0.5]},
    ),
    "dlbook.word2vec.keep_probability": lambda: C(
        word2vec.keep_probability,
        counts=np.array([3, 2, 1]),
        sample=1e-3,
        bad={"counts": [np.array([1, 0])], "sample": [-1e-3]},
    ),
    "dlbook.word2vec.paper_keep_probability": lambda: C(
        word2vec.paper_keep_probability,
        counts=np.array([3, 2, 1]),
        sample=1e-3,
        bad={"counts": [np.array([1, 0])], "sample": [-1e-3]},
    ),
    "dlbook.word2vec.skipgram_pairs": lambda: C(
        word2vec.skipgram_pairs,
        sentence_of=np.array([0, 0, 1]),
        window=2,
        rng=np.random.default_rng(0),
        bad={"sentence_of": [np.array([1, 0]), np.array([0.5]), np.array([-1, 0])], "window": [0], "rng": [0]},
        ok={"sentence_of": [np.array([], dtype=int)]},
    ),
    "dlbook.word2vec.sgns_loss_and_grads": lambda: C(
        word2vec.sgns_loss_and_grads,
        v=pts(3, 2),
        u_pos=pts(3, 2, seed=1),
        u_neg=torch.randn(3, 2, 2),
        real=torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]),
        bad={
            "u_pos": [pts(2, 2)],
            "u_neg": [torch.randn(3, 2, 3), torch.randn(2, 2, 2)],
            "real": [torch.ones(3, 3), torch.full((3, 2), 0.5)],
        },
    ),
    "dlbook.word2vec.sgns_step": lambda: C(
        word2vec.sgns_step,
        w_in=torch.randn(4, 2),
        w_out=torch.randn(4, 2),
        centre=torch.tensor([0, 1]),
        context=torch.tensor([2, 3]),
        noise=torch.tensor([[1, 2], [0, 3]]),
        rate=0.025,
        bad={
            "w_out": [torch.randn(3, 2)],
            "centre": [torch.tensor([0, 4]), torch.tensor([-1, 0]), torch.tensor([0])],
            "context": [torch.tensor([2]), torch.tensor([2.0, 3.0])],
            "noise": [torch.tensor([1, 2]), torch.tensor([[1, 2]]), torch.tensor([[9, 0], [0, 0]])],
            "rate": [0.0],
        },
    ),
    "dlbook.word2vec.Word2Vec": RECORD,
    "dlbook.word2vec.Word2Vec.keyed_vectors": lambda: C(w2v_model().keyed_vectors),
    "dlbook.word2vec.Word2Vec.unit_vectors": lambda: C(w2v_model().unit_vectors),
    "dlbook.word2vec.Word2Vec.similarity": lambda: C(
        w2v_model().similarity, a="cat", b="dog", bad={"a": ["unicorn"], "b": ["unicorn"]}
    ),
    "dlbook.word2vec.Word2Vec.most_similar": lambda: C(
        w2v_model().most_similar, word="cat", topn=2, bad={"word": ["unicorn"], "topn": [0]}
    ),
    "dlbook.word2vec.Word2Vec.analogy": lambda: C(
        w2v_model().analogy,
        a="cat",
        b="dog",
        c="sat",
        topn=1,
        bad={"a": ["unicorn"], "b": ["unicorn"], "c": ["unicorn"], "topn": [0]},
    ),
    "dlbook.word2vec.train_sgns": lambda: C(
        word2vec.train_sgns,
        sentences=W2V_TEXT,
        dim=4,
        window=2,
        negative=2,
        epochs=1,
        lr=0.025,
        min_count=1,
        sample=1e-3,
        seed=0,
        batch_size=8,
        snapshots=2,
        bad={
            "sentences": [[], [[]], [["a", 1]], ["the cat"]],
            "dim": [0],
            "window": [0],
            "negative": [0],
            "epochs": [0],
            "lr": [0.0, -1.0],
            "min_count": [0, 99],
            "sample": [-1e-3],
            "batch_size": [0],
        },
        ok={"snapshots": [0]},
    ),
    "dlbook.word2vec.train_gensim_sgns": lambda: C(
        word2vec.train_gensim_sgns,
        sentences=W2V_TEXT,
        dim=4,
        window=2,
        negative=2,
        epochs=1,
        lr=0.025,
        min_count=1,
        sample=1e-3,
        seed=0,
        bad={
            "sentences": [[], [[]], [["a", 1]], ["the cat"]],
            "dim": [0],
            "window": [0],
            "negative": [0],
            "epochs": [0],
            "lr": [0.0, -1.0],
            "min_count": [0, 99],
            "sample": [-1e-3],
        },
    ),
    "dlbook.word2vec.pair_counts": lambda: C(
        word2vec.pair_counts,
        sentences=W2V_TEXT,
        vocab=w2v_model().vocab,
        window=2,
        bad={"sentences": [[]], "vocab": [{"a": 0}], "window": [0]},
    ),
    "dlbook.word2vec.shifted_pmi": lambda: C(
        word2vec.shifted_pmi,
        counts=np.array([[0.0, 2.0], [2.0, 6.0]]),
        noise=np.array([0.25, 0.75]),
        negative=5,
        bad={
            "counts": [np.ones(3), -np.ones((2, 2))],
            "noise": [np.array([0.5]), np.array([0.0, 1.0])],
            "negative": [0],
        },
    ),
    "dlbook.word2vec.planted_corpus": lambda: C(
        word2vec.planted_corpus, n_sentences=3, seed=0, bad={"n_sentences": [0]}
    ),
}


@functools.cache
def fit_small() -> bias_networks.Fit1D:
    return bias_networks.fit_1d(np.array([0.0, 1.0]), np.array([1.0, 0.0]), bias=True, hidden=3, depth=1, steps=2)


@functools.cache
def tmp_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="dlbook-bad-input-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def saved_tokenizer() -> str:
    path = tmp_dir() / "saved.txt"
    tokenizer().save(path)
    return str(path)


def bad_file(text: str) -> str:
    path = tmp_dir() / f"bad{abs(hash(text))}.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


# ----------------------------------------------------------------------------- the enumeration


def public_callables() -> list[str]:
    """Qualified names of the public functions, classes and methods defined in ``dlbook``."""
    names = []
    for info in pkgutil.iter_modules(dlbook.__path__):
        module = importlib.import_module(f"dlbook.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                names.append(f"{module.__name__}.{name}")
            elif inspect.isclass(obj):
                names.append(f"{module.__name__}.{name}")
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__call__":
                        continue
                    if inspect.isfunction(member) or isinstance(member, (classmethod, staticmethod)):
                        names.append(f"{module.__name__}.{name}.{attr}")
    return sorted(names)


def _nonfinite(value: Any, draw: Callable[[Any], Any] | None, bad: float) -> Any:
    """A copy of ``value`` with one entry (chosen by hypothesis) set to ``bad``."""
    out = value.clone() if isinstance(value, torch.Tensor) else np.array(value, dtype=float)
    flat = out.reshape(-1)
    k = draw(st.integers(0, flat.shape[0] - 1)) if draw is not None else flat.shape[0] - 1
    flat[k] = bad
    return out


def bad_values(arg: str, value: Any, none_ok: bool, draw: Callable[[Any], Any] | None = None) -> list[Any]:
    """Generic bad values of the kind of ``value`` (the valid value of ``arg``); None unless ``none_ok``."""
    if value is None:  # an optional argument left out: only the entry's own bad values
        return []
    out: list[Any] = [] if none_ok else [None]
    if isinstance(value, bool):
        out += [1, "yes"]
    elif isinstance(value, int):
        out += [2.5, "3", True, -1] + ([2**64] if "seed" in arg else [])
    elif isinstance(value, float):
        out += ["1.0", math.nan, math.inf, -math.inf, True]
    elif isinstance(value, str):
        out += [3, b"bytes"]
    elif isinstance(value, bytes):
        out += ["text", 3]
    elif isinstance(value, torch.Tensor) and value.is_floating_point():
        out += [
            value.tolist(),
            value.long(),
            value.unsqueeze(-1),
            value[:0],
            _nonfinite(value, draw, math.nan),
            _nonfinite(value, draw, math.inf),
        ]
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
        out += [
            value.astype(str),
            np.expand_dims(value, -1),
            value[:0],
            _nonfinite(value, draw, math.nan),
            _nonfinite(value, draw, -math.inf),
        ]
    elif isinstance(value, np.ndarray):
        out += [value.astype(str), np.expand_dims(value, -1), value[:0]]
    elif isinstance(value, (list, tuple)):
        out += ["text", 3, value[:0]]  # an empty one (a NamedTuple's slice is a plain tuple)
    elif isinstance(value, dict):
        out += [[], 3]
    elif isinstance(value, torch.nn.Module):
        out += [3, "model"]
    elif callable(value):
        out += [3, "f"]
    else:  # another object (a tokenizer, an SDE, a figure): wrong types
        out += [3, "x"]
    return out


def _none_ok(fn: Callable[..., Any], arg: str) -> bool:
    """Whether ``None`` is a documented value of ``arg``: its default, or in its annotation."""
    param = inspect.signature(fn).parameters.get(arg)
    return param is not None and (param.default is None or "None" in str(param.annotation))


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (torch.Tensor, np.ndarray)):
        return a.shape == b.shape and a.dtype == b.dtype and bool((a == b).all())
    try:
        return bool(a == b)
    except Exception:
        return False


def probe(factory: Callable[[], Call], arg: str, value: Any) -> tuple[str, str]:
    """Call the valid call with ``arg`` replaced by ``value``: the outcome and the message."""
    call = factory()
    kwargs = dict(call.kwargs, **{arg: value})
    try:
        call.fn(**kwargs)
    except (ValueError, TypeError) as exc:
        word = call.says.get(arg, arg)
        named = re.search(rf"(?<![\w.]){re.escape(word)}(?!\w)", str(exc))
        return ("ok" if named else "unnamed"), f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - the point is to catch every other type
        return "wrong_type", f"{type(exc).__name__}: {exc}"
    finally:
        plt.close("all")  # a refused figure_png call leaves its figure open
    return "accepted", "returned without error"


def probes(name: str, draw: Callable[[Any], Any] | None = None) -> list[tuple[str, str, Any, str, str]]:
    """Every (argument, bad value) probe of one registry entry: (name, arg, value, outcome, message)."""
    factory = VALID[name]
    call = factory()
    call.fn(**call.kwargs)  # the valid call must run, or every probe "fails" for the wrong reason
    results = []
    for arg, value in call.kwargs.items():
        if arg in call.skip:
            continue
        candidates = bad_values(arg, value, _none_ok(call.fn, arg), draw) + call.bad.get(arg, [])
        for bad in candidates:
            if any(_same(bad, ok) for ok in call.ok.get(arg, [])):
                continue
            outcome, message = probe(factory, arg, bad)
            results.append((name, arg, bad, outcome, message))
        for good in call.good.get(arg, []):
            outcome, message = probe(factory, arg, good)
            results.append((name, arg, good, "refused_good" if outcome != "accepted" else "ok", message))
    return results


PROBED = sorted(name for name, entry in VALID.items() if entry is not RECORD)


def test_every_public_callable_has_a_valid_call():
    public = set(public_callables())
    missing = sorted(public - set(VALID))
    stale = sorted(set(VALID) - public)
    assert not missing, f"add a valid call to VALID in tests/test_bad_input.py for: {missing}"
    assert not stale, f"VALID names callables that are no longer public: {stale}"


@pytest.mark.parametrize("name", PROBED)
def test_the_valid_call_runs(name):
    call = VALID[name]()
    call.fn(**call.kwargs)


def _report(failures: list[tuple[str, str, Any, str, str]]) -> str:
    return "\n".join(
        f"{outcome}: {name}({arg}={value!r:.60}) -> {message:.160}" for name, arg, value, outcome, message in failures
    )


@pytest.mark.parametrize("name", PROBED)
@settings(max_examples=2)
@given(data=st.data())
def test_bad_input_is_refused_with_a_named_error(name, data):
    failures = [r for r in probes(name, data.draw) if r[3] != "ok"]
    assert not failures, _report(failures)


def main() -> None:
    counts: Counter[str] = Counter()
    failures = []
    for name in PROBED:
        try:
            results = probes(name)
        except Exception as exc:  # noqa: BLE001 - the valid call itself fails (e.g. an older API)
            print(f"skipped {name}: {type(exc).__name__}: {exc}"[:200])
            continue
        counts.update(r[3] for r in results)
        print("per-callable", name, len(results), sum(r[3] != "ok" for r in results))
        failures += [r for r in results if r[3] != "ok"]
    print(_report(failures))
    print(dict(counts), "total", sum(counts.values()))


if __name__ == "__main__":
    sys.exit(main())
