r"""Self-checks for the exercises: ``check(exercise_id, answer)`` says "correct" or what is wrong.

A coding exercise asks for a small piece of the library, written from its
docstring; ``check`` runs the reader's function and the library's on the same
few inputs and reports the first input where they differ, with a hint in
general terms. It never prints the expected output of a case: the feedback points at the
mistake without giving the solution away. A prediction exercise compares a
value the reader wrote down with the one the library computes, the same way.

Each exercise's ``reference`` is its solution (the library function, or the
value the library computes); the test suite checks every exercise against it
and against wrong answers.
"""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from dlbook.checks import check_callable

__all__ = ["EXERCISES", "check"]


class _Case(NamedTuple):
    """One input to try: the positional and keyword arguments, what they are, and a hint if it fails."""

    args: tuple
    kwargs: dict
    what: str
    hint: str


@dataclass(frozen=True)
class _Exercise:
    """A self-checked exercise: its reference answer and a judge that explains a wrong answer.

    ``judge(answer)`` returns ``None`` for a correct answer, else one sentence on
    what is wrong; ``validate(answer)`` raises ``TypeError`` for an answer of the
    wrong kind (a number where a function is asked for).
    """

    reference: Callable[[], Any]
    judge: Callable[[Any], str | None]
    validate: Callable[[Any], None]


EXERCISES: dict[str, _Exercise] = {}


def check(exercise_id: str, answer: Any) -> bool:
    """Judge ``answer`` to the exercise labelled ``exercise_id``: print the feedback, return whether it is correct.

    An answer that raises or returns something wrong is feedback, not an error;
    only an unknown ``exercise_id`` (``ValueError``) or an answer of the wrong
    kind (``TypeError``) raise.
    """
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a str such as 'ex-bias-3', got {type(exercise_id).__name__}")
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {sorted(EXERCISES)}, got {exercise_id!r}")
    exercise = EXERCISES[exercise_id]
    exercise.validate(answer)
    problem = exercise.judge(answer)
    print("correct" if problem is None else textwrap.fill(f"not yet: {problem}", width=72))
    return problem is None


# ----------------------------------------------------------------------------- judging functions


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return repr(np.round(value, 3).tolist())  # one line, short
    return repr(value)


def _describe(case: _Case) -> str:
    parts = [_show(a) for a in case.args] + [f"{k}={_show(v)}" for k, v in case.kwargs.items()]
    return f"{case.what} (arguments {', '.join(parts)})"


def _same_inputs(before: Sequence, after: Sequence) -> bool:
    for a, b in zip(before, after, strict=True):
        if hasattr(a, "shape"):  # a NumPy array or a torch tensor
            if a.shape != b.shape or not bool((a == b).all()):
                return False
        elif a != b:
            return False
    return True


class _Form(str):
    """A problem with the answer's form (its type or shape): the case's hint about values does not apply."""


def _judge_function(
    answer: Callable, reference: Callable, cases: list[_Case], compare: Callable[[Any, Any], str | None]
) -> str | None:
    """Run ``answer`` and ``reference`` on each case (each on its own copy of the inputs)."""
    for case in cases:
        expected = reference(*copy.deepcopy(case.args), **case.kwargs)
        args = copy.deepcopy(case.args)
        try:
            got = answer(*args, **case.kwargs)
        except NotImplementedError:
            return "your function raises NotImplementedError: replace that line with your code."
        except Exception as exc:  # the reader's bug is feedback, not a crash of the check
            return f"on {_describe(case)} your function raised {type(exc).__name__}: {exc}. {case.hint}"
        if not _same_inputs(case.args, args):
            return (
                f"on {_describe(case)} your function changed its input in place; "
                "return new values and leave the arguments as they were."
            )
        problem = compare(got, expected)
        if problem is not None:
            hint = "" if isinstance(problem, _Form) else f" {case.hint}"
            return f"on {_describe(case)} {problem}.{hint}"
    return None


def _function_exercise(
    reference: Callable[[], Callable], cases: Callable[[], list[_Case]], compare: Callable[[Any, Any], str | None]
) -> _Exercise:
    def judge(answer: Callable) -> str | None:
        return _judge_function(answer, reference(), cases(), compare)

    return _Exercise(reference=reference, judge=judge, validate=lambda answer: check_callable("answer", answer))


def _close(got: Any, expected: Any, name: str) -> str | None:
    """``None`` if ``got`` matches the array or number ``expected`` in shape and value."""
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return _Form(f"{name} is {type(got).__name__} {_show(got)}, not numbers")
    expected = np.asarray(expected, dtype=float)
    if got_array.shape != expected.shape:
        return _Form(f"{name} has shape {got_array.shape}, expected shape {expected.shape}")
    if not np.allclose(got_array, expected, rtol=1e-6, atol=1e-6):
        if expected.ndim == 0:
            return f"{name} is {float(got_array):.6g}, which is not right"
        return f"{name} has the right shape but the wrong values (yours: {_show(got_array)})"
    return None


# ----------------------------------------------------------------------------- How to use this book


def _gd_step(x: Any, lr: float) -> Any:
    """One gradient-descent step on f(x) = x**2: the documented answer of ex-tour-1."""
    return x - lr * 2 * x


def _tour_cases() -> list[_Case]:
    hint = "The gradient of x**2 is 2x; a step moves against it, scaled by the learning rate."
    return [
        _Case((2.0, 0.1), {}, "a positive x", hint),
        _Case((-1.5, 0.3), {}, "a negative x", hint),
        _Case((np.array([0.0, 1.0, -3.0]), 0.25), {}, "an array of points", hint),
    ]


EXERCISES["ex-tour-1"] = _function_exercise(
    lambda: _gd_step, _tour_cases, lambda got, expected: _close(got, expected, "the new x")
)


# ----------------------------------------------------------------------------- Why neurons need a bias


def _margin_reference() -> Callable:
    from dlbook.perceptron import margin

    return margin


def _margin_cases() -> list[_Case]:
    X = np.array([[2.0, 1.0], [0.5, 3.0], [-1.0, -0.5], [0.0, -2.0]])
    y = np.array([1, 1, 0, 0])
    sign = "Each sample counts with the sign s = 2y - 1, so a sample on its own side counts positively."
    worst = "The margin is the smallest signed distance over all samples, not an average."
    norm = "In the augmented space the length is that of the whole vector (w, b), bias included."
    return [
        _Case((X, y, np.array([1.0, 1.0]), 0.0), {}, "a separator through the origin", worst),
        _Case((X, y, np.array([3.0, 0.0]), -1.0), {}, "a separator with a bias", norm),
        _Case((X, y, np.array([1.0, 1.0]), -3.5), {}, "a line that misclassifies a sample", sign),
        _Case((X[:, :1].repeat(3, axis=1), y, np.array([0.5, -1.0, 2.0]), 0.25), {}, "samples in 3-D", worst),
    ]


EXERCISES["ex-bias-3"] = _function_exercise(
    _margin_reference, _margin_cases, lambda got, expected: _close(got, expected, "the margin")
)


# ----------------------------------------------------------------------------- Tokenization

#: The text whose GPT-4 pre-tokenization ex-tok-1 asks the reader to predict.
SPLIT_TEXT = "2026-11-26 12345678"


def _gpt4_chunks() -> list[str]:
    from dlbook.tokenization import GPT4_SPLIT_PATTERN, pretokenize

    return pretokenize(SPLIT_TEXT, GPT4_SPLIT_PATTERN)


def _split_hint(chunk: str) -> str:
    if chunk.isdigit():
        return "Look at the digit rule of the pattern: how long may one run of digits be?"
    if chunk.isspace():
        return "In GPT-4's pattern a space may lead a run of letters or punctuation, but not digits."
    return "Punctuation forms its own chunk, apart from the digits around it."


def _judge_split(answer: list | tuple) -> str | None:
    expected, answer = _gpt4_chunks(), list(answer)
    if "" in answer:
        return "chunks are never empty: drop the empty strings."
    if "".join(answer) != SPLIT_TEXT:
        return (
            f"your chunks join to {''.join(answer)!r}, not to {SPLIT_TEXT!r}: pre-tokenization only "
            "cuts the text, it never drops or changes a character."
        )
    for k, (mine, ref) in enumerate(zip(answer, expected, strict=False)):
        if mine != ref:
            return f"chunk {k} is {mine!r}, and the pattern cuts there differently. {_split_hint(ref)}"
    return None


def _validate_chunks(answer: Any) -> None:
    if not isinstance(answer, (list, tuple)) or not all(isinstance(c, str) for c in answer):
        raise TypeError(f"answer must be a list of str (the chunks), got {type(answer).__name__} {answer!r:.60}")


EXERCISES["ex-tok-1"] = _Exercise(reference=_gpt4_chunks, judge=_judge_split, validate=_validate_chunks)


def _vocab_reference() -> Callable:
    from dlbook.tokenization import vocab_from_merges

    return vocab_from_merges


def _vocab_cases() -> list[_Case]:
    order = "A merge may use an id made by an earlier merge: build the ids in the order 256, 257, ..."
    bytes_ = "Ids 0 to 255 are the single bytes; a merged id holds the bytes of its two parts, left then right."
    a, b, c = 97, 98, 99
    return [
        _Case(({},), {}, "no merges at all", bytes_),
        _Case(({(a, a): 256, (a, b): 257},), {}, "two merges of bytes", bytes_),
        _Case(({(a, a): 256, (a, b): 257, (256, 257): 258},), {}, "Wikipedia's merges aa, ab, then aa+ab", bytes_),
        _Case(({(256, c): 257, (b, a): 256},), {}, "merges listed out of id order", order),
    ]


def _compare_vocab(got: Any, expected: dict[int, bytes]) -> str | None:
    if not isinstance(got, dict):
        return _Form(f"your function returned {type(got).__name__}; it should return a dict {{id: bytes}}")
    if set(got) != set(expected):
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        return f"the ids are not right (missing: {missing[:5]}, unexpected: {extra[:5]})"
    for i in sorted(expected):
        if got[i] != expected[i]:
            return f"id {i} maps to {got[i]!r}, which are not its bytes"
    return None


EXERCISES["ex-tok-3"] = _function_exercise(_vocab_reference, _vocab_cases, _compare_vocab)


# ----------------------------------------------------------------------------- Diffusion (DDIM)


def _subsequence_reference() -> Callable:
    from dlbook.diffusion import timestep_subsequence

    return timestep_subsequence


def _subsequence_cases() -> list[_Case]:
    even = "Uniform: evenly spaced from 0 to T - 1, both ends included, rounded to the nearest step."
    square = "Quadratic: step k sits at (T - 1) (k / (S - 1))**2, rounded; then push collisions up."
    return [
        _Case((1000, 10), {}, "T = 1000 with 10 uniform steps", even),
        _Case((7, 3), {}, "a short schedule", even),
        _Case((1000, 1), {}, "a single step", "One step must be the last one, T - 1."),
        _Case((10, 10), {}, "as many steps as the schedule has", even),
        _Case((100, 8), {}, "8 uniform steps of 100, where rounding matters", even),
        _Case((1000, 10), {"spacing": "quadratic"}, "10 quadratic steps", square),
        _Case(
            (100, 50),
            {"spacing": "quadratic"},
            "quadratic steps that collide",
            "Quadratic steps near 0 round to the same step: round each to the nearest step, then move each "
            "one up to just above the previous.",
        ),
    ]


def _compare_steps(got: Any, expected: list[int]) -> str | None:
    steps = np.asarray(got) if isinstance(got, (list, tuple, np.ndarray)) else None
    if steps is None or steps.ndim != 1 or (steps.size and steps.dtype.kind not in "iu"):
        return _Form(f"your function returned {type(got).__name__} {_show(got):.40}; it should return a list of ints")
    got = steps.tolist()
    if len(got) != len(expected):
        return f"your function returned {len(got)} steps instead of {len(expected)}"
    if got != expected:
        return f"your function returned {got[:12]}{' ...' if len(got) > 12 else ''}, which are not the right steps"
    return None


EXERCISES["ex-ddim-1"] = _function_exercise(_subsequence_reference, _subsequence_cases, _compare_steps)


# ----------------------------------------------------------------------------- Recurrent networks (BPTT)


def _step_jacobian_reference() -> Callable:
    from dlbook.rnn import step_jacobian

    return step_jacobian


def _step_jacobian_cases() -> list[_Case]:
    chain = "Differentiate h(t) = tanh(a) with a = U x + W h(t-1) + b: tanh'(a) = 1 - h(t)**2, times da/dh(t-1) = W."
    rows = "Unit i's derivative scales row i of W (the row that feeds unit i), not column i."
    W = np.array([[0.5, -1.0, 0.2], [0.3, 0.8, -0.4], [-0.6, 0.1, 0.9]])
    return [
        _Case((np.array([[2.0]]), np.array([0.5])), {}, "one unit", chain),
        _Case((W, np.zeros(3)), {}, "a state at zero, where tanh' = 1", chain),
        _Case((W, np.array([0.9, -0.5, 0.1])), {}, "three units", rows),
        _Case((W[:2, :2], np.array([-0.99, 0.3])), {}, "a nearly saturated unit", rows),
    ]


EXERCISES["ex-rnn-2"] = _function_exercise(
    _step_jacobian_reference,
    _step_jacobian_cases,
    lambda got, expected: _close(got, expected, "the Jacobian"),
)


# ----------------------------------------------------------------------------- Activation functions


def _softplus_reference() -> Callable:
    from dlbook.activations import softplus

    return lambda x: softplus(x)


def _softplus_cases() -> list[_Case]:
    import torch

    formula = "Softplus is log(1 + e^x): about 0.69 at 0, close to 0 for very negative x, close to x for large x."
    overflow = (
        "e^x overflows to inf for large x (above about 88 in float32, 709 in float64): for x > 0 "
        "write log(1 + e^x) = x + log(1 + e^-x), whose exponential cannot overflow."
    )
    return [
        _Case((torch.linspace(-4.0, 4.0, 9, dtype=torch.float64),), {}, "moderate inputs", formula),
        _Case((torch.tensor([-1e4, -50.0, -20.0], dtype=torch.float64),), {}, "very negative inputs", formula),
        _Case((torch.tensor([100.0, 1000.0, 1e4], dtype=torch.float64),), {}, "large inputs in float64", overflow),
        _Case((torch.tensor([-3.0, 0.0, 90.0, 1e4]),), {}, "float32 inputs, some large", overflow),
    ]


EXERCISES["ex-act-3"] = _function_exercise(
    _softplus_reference, _softplus_cases, lambda got, expected: _close(got, expected, "softplus(x)")
)


# ----------------------------------------------------------------------------- Gradient checkpointing


def _evaluations_reference() -> Callable:
    from dlbook.checkpointing import simulate

    return lambda n, every: simulate(n, "checkpoint", every=every).evaluations


def _evaluations_cases() -> list[_Case]:
    kept = "Forward keeps f_every, f_2every, ... strictly below f_n; f_n is there when forward ends."
    once = "Forward evaluates all n nodes; every node it did not keep is recomputed exactly once."
    return [
        _Case((16, 4), {}, "16 nodes, a checkpoint every 4", once),
        _Case((10, 3), {}, "a spacing that does not divide n", kept),
        _Case((12, 4), {}, "a spacing that divides n (is f_n a checkpoint?)", kept),
        _Case((7, 1), {}, "a checkpoint at every node", once),
        _Case((9, 20), {}, "a spacing longer than the chain", once),
        _Case((1, 1), {}, "a single node", once),
    ]


EXERCISES["ex-ckpt-3"] = _function_exercise(
    _evaluations_reference, _evaluations_cases, lambda got, expected: _close(got, expected, "the count")
)
# ----------------------------------------------------------------------------- Receptive fields


def _top_down_reference() -> Callable:
    from dlbook.receptive_field import receptive_field_top_down

    return receptive_field_top_down


def _top_down_cases() -> list[_Case]:
    from dlbook.receptive_field import ARCHITECTURES, Layer

    walk = "Start from r = 1 at the top and walk the layers from the last down to the first: r = (r - 1) s + k."
    dilated = "A dilated kernel spans d (k - 1) + 1 positions: use that in place of k."
    return [
        _Case(([Layer(3)],), {}, "one 3-tap layer", "One layer alone: its unit sees its kernel."),
        _Case(([Layer(3), Layer(3), Layer(3)],), {}, "three stride-1 layers", walk),
        _Case(([Layer(3, 2), Layer(3, 1), Layer(2, 2)],), {}, "a stack with strides", walk),
        _Case(([Layer(2, dilation=2**i) for i in range(4)],), {}, "a dilated stack", dilated),
        _Case((ARCHITECTURES["vgg_16"],), {}, "VGG-16's main path", walk),
    ]


def _same_int(got: Any, expected: int) -> str | None:
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        return _Form(f"your function returned {type(got).__name__} {_show(got):.40}; it should return an int")
    return None if got == expected else f"your function returned {got}, which is not the receptive field"


EXERCISES["ex-rf-3"] = _function_exercise(_top_down_reference, _top_down_cases, _same_int)
# ----------------------------------------------------------------------------- Smooth surrogates


def _smooth_max_reference() -> Callable:
    import torch

    from dlbook.surrogates import smooth_max

    def smooth_max_1d(x: np.ndarray, k: float) -> float:
        return float(smooth_max(torch.as_tensor(x, dtype=torch.float64), k))

    return smooth_max_1d


def _smooth_max_cases() -> list[_Case]:
    formula = "It is log(sum(exp(k * x))) / k: mind the 1/k outside the log, and k inside the exp."
    shift = (
        "exp(1000) overflows a float64: subtract the maximum m from x before exponentiating, "
        "and add it back outside the log."
    )
    return [
        _Case((np.array([1.0, 2.0, 3.0]), 1.0), {}, "three numbers at k = 1", formula),
        _Case((np.array([0.0, 0.0, 0.0, 0.0]), 10.0), {}, "a tie at k = 10", formula),
        _Case((np.array([0.5, -2.0]), 0.25), {}, "a small temperature k = 0.25", formula),
        _Case((np.array([1000.0, 999.0]), 1.0), {}, "large entries", shift),
        _Case((np.array([-1000.0, -1001.0]), 2.0), {}, "large negative entries", shift),
    ]


EXERCISES["ex-sur-3"] = _function_exercise(
    _smooth_max_reference, _smooth_max_cases, lambda got, expected: _close(got, expected, "the smooth maximum")
)


# ----------------------------------------------------------------------------- Word2Vec

#: ex-w2v-1: how many times more often is a word 16 times as frequent drawn as a negative?
NOISE_RATIO_COUNTS = (16, 1)


def _noise_ratio() -> float:
    from dlbook.word2vec import noise_distribution

    p = noise_distribution(np.array(NOISE_RATIO_COUNTS))
    return float(p[0] / p[1])


def _judge_noise_ratio(answer: Any) -> str | None:
    expected = _noise_ratio()
    if abs(float(answer) - expected) <= 1e-3 * expected:
        return None
    if abs(float(answer) - NOISE_RATIO_COUNTS[0]) < 1e-9:
        return "that is the ratio of the counts; the noise distribution raises each count to a power first."
    return f"{float(answer):g} is not the ratio. P_n(w) is proportional to count(w) ** 0.75."


def _validate_number(answer: Any) -> None:
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        raise TypeError(f"answer must be a number, got {type(answer).__name__} {answer!r:.40}")


EXERCISES["ex-w2v-1"] = _Exercise(reference=_noise_ratio, judge=_judge_noise_ratio, validate=_validate_number)


def _keep_reference() -> Callable:
    from dlbook.word2vec import keep_probability

    return keep_probability


def _keep_cases() -> list[_Case]:
    formula = "Keep with (sqrt(f / (t N)) + 1) * (t N / f), N the total count, then clip at 1."
    clip = "A probability never exceeds 1: rare words are always kept."
    return [
        _Case((np.array([5000, 300, 20, 1]), 1e-3), {}, "a frequent word among rare ones", formula),
        _Case((np.array([10, 10, 10]),), {"sample": 0.5}, "three equal counts", clip),
        _Case((np.array([900, 50, 50]),), {"sample": 1e-2}, "one word with 90 % of the text", formula),
        _Case((np.array([7, 3]),), {"sample": 1e-5}, "a tiny threshold", formula),
    ]


EXERCISES["ex-w2v-3"] = _function_exercise(
    _keep_reference, _keep_cases, lambda got, expected: _close(got, expected, "the keep probabilities")
)
# ----------------------------------------------------------------------------- Flows (rectified flow)


def _straightness_reference() -> Callable:
    from dlbook.flows import straightness

    return straightness


def _straightness_cases() -> list[_Case]:
    import math

    import torch

    from dlbook.flows import mixture_velocity

    x0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    angles = torch.arange(4, dtype=torch.float64) * math.pi / 2
    means = 1.5 * torch.stack([angles.cos(), angles.sin()], dim=1)
    hint = (
        "Follow the flow with sample_flow(..., record=True); the chord is the last point minus the first, "
        "and each Euler step used the velocity (next point - point) * steps."
    )
    return [
        _Case((lambda x, t: torch.ones_like(x), x0), {"steps": 10}, "a constant velocity (straight paths)", hint),
        _Case((lambda x, t: -x, x0), {"steps": 20}, "v = -x (paths that slow down)", hint),
        _Case(
            (lambda x, t: torch.stack([-x[:, 1], x[:, 0]], dim=1), x0),
            {"steps": 16},
            "a rotation (curved paths)",
            hint,
        ),
        _Case(
            (lambda x, t: mixture_velocity(x, t, means, 0.2), x0),
            {"steps": 25},
            "the exact velocity of a four-mode mixture",
            "Average the squared distance over the steps and over the samples (the mean over both).",
        ),
    ]


def _compare_straightness(got: Any, expected: float) -> str | None:
    if not isinstance(got, (float, int, np.floating)) or isinstance(got, bool):
        return _Form(f"your function returned {type(got).__name__}; it should return a float")
    if not np.isclose(float(got), expected, rtol=1e-4, atol=1e-8):
        return f"your function returned {float(got):.6g}, which is not the straightness"
    return None


EXERCISES["ex-rflow-1"] = _function_exercise(_straightness_reference, _straightness_cases, _compare_straightness)
