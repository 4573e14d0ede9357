"""The exercises' self-checks: right answers pass, wrong ones get feedback, and the notebooks use them all."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from dlbook.diffusion import timestep_subsequence
from dlbook.exercises import EXERCISES, SPLIT_TEXT, check
from dlbook.flows import sample_flow

NOTEBOOKS = sorted((ROOT / "chapters").rglob("*.ipynb"))
SELF_CHECK = "self-check"

# ----------------------------------------------------------------------------- what the notebooks hold

FENCE = re.compile(r"^(`{3,})\{(exercise|solution)\}([^\n]*)\n(.*?)^\1[ \t]*$", re.M | re.S)
OPTION = re.compile(r"^:(\w+):[ \t]*(.*)$", re.M)
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([\w-]+)["']""")


def directives(path: Path) -> list[dict]:
    """Every exercise and solution block of a notebook: kind, argument, options, body."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for _, kind, argument, body in FENCE.findall(cell.source):
                options = dict(OPTION.findall(body))
                found.append({"kind": kind, "argument": argument.strip(), "options": options, "body": body})
    return found


def check_calls(path: Path) -> set[str]:
    return {
        m
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
        for m in CHECK_CALL.findall(cell.source)
    }


def exercises(path: Path) -> dict[str, dict]:
    return {d["options"]["label"]: d for d in directives(path) if d["kind"] == "exercise"}


def solutions(path: Path) -> dict[str, dict]:
    return {d["argument"]: d for d in directives(path) if d["kind"] == "solution"}


ALL_EXERCISES = {label: (path, ex) for path in NOTEBOOKS for label, ex in exercises(path).items()}


def test_exercise_labels_are_unique_and_every_exercise_has_a_folded_solution():
    labels = [label for path in NOTEBOOKS for label in exercises(path)]
    assert len(labels) == len(set(labels)), "an exercise label is used twice"
    for path in NOTEBOOKS:
        sols = solutions(path)
        for label in exercises(path):
            assert label in sols, f"{label} in {path.name} has no solution block"
            assert sols[label]["options"].get("class") == "dropdown", f"the solution of {label} is not folded"


def test_every_chapter_has_three_exercises():
    chapters = {p.parent for p in NOTEBOOKS if not p.parent.name.startswith("00-")}
    for folder in chapters:
        titles = [ex["argument"].strip() for p in NOTEBOOKS if p.parent == folder for ex in exercises(p).values()]
        assert len(titles) >= 3, f"{folder.name} has {len(titles)} exercises, fewer than three"
        for kind in ("Predict", "Change", "Implement"):  # the three kinds, named by their titles' first word
            assert any(title.startswith(kind) for title in titles), f"{folder.name} has no '{kind} ...' exercise"
        assert any(
            ex["options"].get("class") == SELF_CHECK
            for p in NOTEBOOKS
            if p.parent == folder
            for ex in exercises(p).values()
        ), f"{folder.name} has no self-checked exercise"


def test_self_checked_exercises_and_checkers_match_one_to_one():
    self_checked = {label for label, (_, ex) in ALL_EXERCISES.items() if ex["options"].get("class") == SELF_CHECK}
    coding = {label for label, (_, ex) in ALL_EXERCISES.items() if ex["argument"].startswith("Implement")}
    assert coding <= self_checked, f"coding exercises without a self-check: {coding - self_checked}"
    assert self_checked == set(EXERCISES), "checkers without a self-check exercise, or the reverse"
    for path in NOTEBOOKS:
        calls, here = check_calls(path), exercises(path)
        assert calls <= set(here), f"{path.name} checks exercises it does not pose: {calls - set(here)}"
        for label, ex in here.items():
            if ex["options"].get("class") == SELF_CHECK:
                assert label in calls, f"{label} in {path.name} is self-checked but no cell calls check()"


# ----------------------------------------------------------------------------- right answers


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_reference_answer_is_correct(exercise_id, capsys):
    assert check(exercise_id, EXERCISES[exercise_id].reference()) is True
    assert capsys.readouterr().out == "correct\n"


def documented_answer(exercise_id: str):
    """The answer written in the notebook's solution block, executed."""
    path, _ = ALL_EXERCISES[exercise_id]
    code = re.search(r"```python\n(.*?)```", solutions(path)[exercise_id]["body"], re.S)
    assert code, f"the solution of {exercise_id} shows no Python code"
    source = code.group(1)
    names = re.findall(r"^def (\w+)", source, re.M)
    if not names:
        return eval(source, {})  # a value, such as a list of chunks
    namespace = {"np": np}
    exec(source, namespace)
    return namespace[names[0]]


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_documented_solution_passes_its_check(exercise_id, capsys):
    assert check(exercise_id, documented_answer(exercise_id)) is True
    assert capsys.readouterr().out == "correct\n"


# ----------------------------------------------------------------------------- wrong answers


def _margin_without_bias_in_norm(X, y, w, b):
    return float(np.min((2 * y - 1) * (X @ w + b)) / np.linalg.norm(w))


def _margin_without_signs(X, y, w, b):
    return float(np.min(np.abs(X @ w + b)) / np.hypot(np.linalg.norm(w), b))


def _margin_in_place(X, y, w, b):
    X *= 1.0 / np.hypot(np.linalg.norm(w), b)
    return float(np.min((2 * y - 1) * (X @ w + b / np.hypot(np.linalg.norm(w), b))))


def _vocab_unsorted(merges):
    vocab = {i: bytes([i]) for i in range(256)}
    for (a, b), new_id in merges.items():
        vocab[new_id] = vocab[a] + vocab[b]
    return vocab


def _vocab_swapped(merges):
    vocab = {i: bytes([i]) for i in range(256)}
    for (a, b), new_id in sorted(merges.items(), key=lambda item: item[1]):
        vocab[new_id] = vocab[b] + vocab[a]
    return vocab


def _steps_truncated(T, steps, *, spacing="uniform"):
    power = 1 if spacing == "uniform" else 2
    return [T - 1] if steps == 1 else [int((T - 1) * (k / (steps - 1)) ** power) for k in range(steps)]


def _steps_with_collisions(T, steps, *, spacing="uniform"):
    power = 1 if spacing == "uniform" else 2
    return [T - 1] if steps == 1 else [round((T - 1) * (k / (steps - 1)) ** power) for k in range(steps)]


def _uniform_truncated(T, steps, *, spacing="uniform"):
    """Truncates instead of rounding; exact wherever the uniform grid falls on whole steps."""
    if spacing == "uniform":
        return np.linspace(0, T - 1, steps).astype(int).tolist()
    return timestep_subsequence(T, steps, spacing=spacing)


def _steps_as_floats(T, steps, *, spacing="uniform"):
    return [float(s) for s in timestep_subsequence(T, steps, spacing=spacing)]


def _straightness_not_squared(velocity, x0, *, steps=100):
    path = sample_flow(velocity, x0, steps=steps, record=True).trajectory
    v = (path[1:] - path[:-1]) * steps
    return float(((path[-1] - path[0]) - v).norm(dim=-1).mean())


def _straightness_chord_from_velocity(velocity, x0, *, steps=100):
    path = sample_flow(velocity, x0, steps=steps, record=True).trajectory
    v = (path[1:] - path[:-1]) * steps
    return float(((velocity(x0, 0.0) - v) ** 2).sum(-1).mean())


def _straightness_as_tensor(velocity, x0, *, steps=100):
    path = sample_flow(velocity, x0, steps=steps, record=True).trajectory
    v = (path[1:] - path[:-1]) * steps
    return ((path[-1] - path[0] - v) ** 2).sum(-1).mean()


def _raises_type_error(*args):
    raise TypeError("unsupported operand")


def _softplus_naive(x):
    import torch

    return torch.log(1 + torch.exp(x))


def _softplus_relu(x):
    return x.clamp(min=0)


WRONG = {
    "ex-tour-1": [lambda x, lr: x - lr * x, lambda x, lr: x + lr * 2 * x, lambda x, lr: float(x - lr * 2 * x)],
    "ex-bias-3": [_margin_without_bias_in_norm, _margin_without_signs, _margin_in_place, _raises_type_error],
    "ex-tok-1": [
        [],
        ["2026", "-", "11", "-", "26", " 12345678"],
        ["202", "6", "-", "11", "-", "26", " 123", "456", "78"],
        [*EXERCISES["ex-tok-1"].reference(), ""],
    ],
    "ex-tok-3": [
        _vocab_unsorted,
        _vocab_swapped,
        lambda merges: {i: bytes([i]) for i in range(256)},
        lambda merges: list(range(256)),
    ],
    "ex-ddim-1": [
        _steps_truncated,
        _steps_with_collisions,
        _uniform_truncated,
        _steps_as_floats,
        lambda T, steps, *, spacing="uniform": list(range(steps)),
    ],
    "ex-rnn-2": [
        lambda W, h: W * (1 - h**2)[None, :],  # columns scaled instead of rows
        lambda W, h: (1 - h)[:, None] * W,  # 1 - h instead of 1 - h**2
        lambda W, h: (1 - h**2)[:, None] * W.T,  # W transposed
        lambda W, h: np.tanh(W),
    ],
    "ex-act-3": [_softplus_naive, _softplus_relu, lambda x: x * 0 + 0.69, _raises_type_error],
    "ex-ckpt-3": [
        lambda n, every: 2 * n,  # every node recomputed
        lambda n, every: n + (n - n // every),  # f_n counted as a checkpoint
        lambda n, every: n + n // every,  # the checkpoints recomputed instead
        lambda n, every: "many",
    ],
    "ex-w2v-1": [16.0, 4.0, 1.0],
    "ex-w2v-3": [
        lambda counts, sample=1e-3: np.minimum(1.0, np.sqrt(sample * counts.sum() / counts)),
        lambda counts, sample=1e-3: (np.sqrt(counts / (sample * counts.sum())) + 1) * sample * counts.sum() / counts,
        lambda counts, sample=1e-3: np.minimum(1.0, (np.sqrt(counts / sample) + 1) * sample / counts),
    ],
    "ex-rflow-1": [
        _straightness_not_squared,
        _straightness_chord_from_velocity,
        _straightness_as_tensor,
        lambda velocity, x0, *, steps=100: 0.0,
    ],
}


def _rf_bottom_up(layers):
    r = 1
    for layer in layers:  # the wrong direction: strides multiply the wrong kernels
        r = (r - 1) * layer.stride + layer.span
    return r


def _rf_no_dilation(layers):
    r = 1
    for layer in reversed(layers):
        r = (r - 1) * layer.stride + layer.kernel
    return r


def _rf_off_by_one(layers):
    r = 1
    for layer in reversed(layers):
        r = r * layer.stride + layer.span
    return r


WRONG["ex-rf-3"] = [_rf_bottom_up, _rf_no_dilation, _rf_off_by_one, lambda layers: float(len(layers))]


#: Right answers in another form than the reference's, which a reader may well write.
RIGHT = {
    "ex-tok-1": [tuple(EXERCISES["ex-tok-1"].reference())],
    "ex-ddim-1": [lambda T, steps, *, spacing="uniform": np.array(timestep_subsequence(T, steps, spacing=spacing))],
}


@pytest.mark.parametrize("exercise_id, answer", [(k, a) for k, answers in RIGHT.items() for a in answers])
def test_a_right_answer_in_another_form_is_correct(exercise_id, answer, capsys):
    assert check(exercise_id, answer) is True, capsys.readouterr().out


def test_every_checker_has_wrong_answers():
    assert set(WRONG) == set(EXERCISES)


@pytest.mark.parametrize("exercise_id, answer", [(k, a) for k, answers in WRONG.items() for a in answers])
def test_a_wrong_answer_gets_feedback_without_the_solution(exercise_id, answer, capsys):
    assert check(exercise_id, answer) is False
    out = capsys.readouterr().out
    assert out.startswith("not yet: ") and max(map(len, out.splitlines())) <= 72  # fits the output box
    reference = EXERCISES[exercise_id].reference()
    if not callable(reference):
        assert repr(reference) not in out and str(reference) not in out


@pytest.mark.parametrize("exercise_id", sorted(k for k, e in EXERCISES.items() if callable(e.reference())))
def test_an_unwritten_stub_is_feedback_not_an_error(exercise_id, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError

    assert check(exercise_id, stub) is False
    assert "NotImplementedError" in capsys.readouterr().out


def test_the_split_exercise_is_about_the_gpt4_pattern():
    assert "".join(EXERCISES["ex-tok-1"].reference()) == SPLIT_TEXT


# ----------------------------------------------------------------------------- bad input


def test_an_unknown_exercise_id_is_a_value_error():
    with pytest.raises(ValueError, match="exercise_id must be one of"):
        check("ex-nope-1", lambda: None)


def test_an_exercise_id_that_is_not_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="exercise_id must be a str"):
        check(3, lambda: None)


@pytest.mark.parametrize(
    "exercise_id, answer", [("ex-bias-3", 0.5), ("ex-tok-3", {}), ("ex-tok-1", "202 6"), ("ex-tok-1", ["202", 6])]
)
def test_an_answer_of_the_wrong_kind_is_a_type_error(exercise_id, answer):
    with pytest.raises(TypeError, match="answer must be"):
        check(exercise_id, answer)


# ----------------------------------------------------------------------------- smooth surrogates: wrong answers


def _smooth_max_naive(x, k):
    with np.errstate(over="ignore", divide="ignore"):
        return float(np.log(np.sum(np.exp(k * x))) / k)


def _smooth_max_without_k_outside(x, k):
    m = np.max(x)
    return float(m + np.log(np.sum(np.exp(k * (x - m)))))


def _smooth_max_forgets_the_shift(x, k):
    m = np.max(x)
    return float(np.log(np.sum(np.exp(k * (x - m)))) / k)


WRONG["ex-sur-3"] = [
    _smooth_max_naive,
    _smooth_max_without_k_outside,
    _smooth_max_forgets_the_shift,
    lambda x, k: float(np.max(x)),
    lambda x, k: np.exp(k * x) / np.sum(np.exp(k * x)),
]
