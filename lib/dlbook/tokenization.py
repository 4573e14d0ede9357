"""Byte-level byte-pair encoding (BPE), from scratch.

Text becomes token ids in three steps:

1. **UTF-8 bytes.** ``text.encode("utf-8")`` gives integers in 0..255, so ids
   0..255 are the 256 single bytes and no text is ever "unknown" (an ASCII
   letter is 1 byte, a Chinese character 3, a code point above U+FFFF, such as most emoji, 4).
2. **Pre-tokenization.** A regular expression splits the text into chunks
   (words with their leading space, runs of digits, punctuation, whitespace);
   merges never cross a chunk boundary.
3. **Merges.** Training repeats: count every adjacent pair of ids (weighted by
   how often its chunk occurs), take the most frequent pair ``(a, b)``, give it
   the next free id ``256, 257, ...`` and replace every occurrence. Encoding
   replays the merges on new text, always applying the *earliest-learned*
   (lowest id) merge that is present; decoding concatenates the bytes of the ids.

Ties in pair counts are broken by the smallest pair ``(a, b)`` in
lexicographic order of ids, so training never depends on hash or set order.
On Wikipedia's example ``"aaabdaaabac"`` this gives Wikipedia's merges
``aa -> Z``, ``ab -> Y``, ``ZY -> X``.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import regex

from dlbook.checks import check_bytes, check_instance, check_int, check_str, check_values

#: GPT-2's pre-tokenization pattern (as released with GPT-2 and used by HF ``ByteLevel``):
#: contractions, an optional space plus letters / digits / other symbols, whitespace.
GPT2_SPLIT_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

#: GPT-4's (``cl100k_base``) pattern, exactly as tiktoken ships it: case-insensitive
#: contractions, a letter run with at most one leading non-letter, digits in groups of
#: at most three, punctuation with trailing newlines, and whitespace.
GPT4_SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)

FILE_HEADER = "dlbook-bpe v1"

Pair = tuple[int, int]


# ----------------------------------------------------------------------------- validation


def _check_pattern(pattern: Any) -> str | None:
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a regex string or None, got {type(pattern).__name__}")
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"pattern must be a valid regex for the `regex` package: {exc}") from exc
    if compiled.search("") is not None:  # an empty match splits nothing and drops the text
        raise ValueError(f"pattern must not match the empty string, got {pattern!r}")
    return pattern


def _check_id(name: str, value: Any) -> int:
    return check_int(name, value, min_value=0)


def _check_ids(name: str, ids: Any) -> list[int]:
    """A sequence of non-negative int ids (not a str or bytes), as a list."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError(f"{name} must be a sequence of int ids, got {type(ids).__name__}")
    if not all(type(i) is int and i >= 0 for i in ids):
        bad = next(i for i in ids if type(i) is not int or i < 0)
        raise (TypeError if type(bad) is not int else ValueError)(f"{name} must hold non-negative int ids, got {bad!r}")
    return ids


def _check_pair(name: str, pair: Any) -> Pair:
    if not (isinstance(pair, tuple) and len(pair) == 2):
        raise TypeError(f"{name} must be a pair (a, b) of int ids, got {type(pair).__name__} {pair!r}")
    return _check_id(name, pair[0]), _check_id(name, pair[1])


def _check_counts(name: str, counts: Any) -> dict[Pair, int]:
    """A dict {(a, b): count} of pairs to ints (O(n): for the teaching helpers, not hot loops)."""
    if not isinstance(counts, dict):
        raise TypeError(f"{name} must be a dict {{(a, b): count}}, got {type(counts).__name__}")
    for pair, count in counts.items():
        _check_pair(name, pair)
        check_int(name, count)
    return counts


# ----------------------------------------------------------------------------- the small steps


def text_to_bytes(text: str) -> list[int]:
    """The UTF-8 bytes of ``text`` as integers in 0..255: the byte-level starting ids."""
    return list(check_str("text", text).encode("utf-8"))


def pretokenize(text: str, pattern: str | None = GPT4_SPLIT_PATTERN) -> list[str]:
    """Split ``text`` into the chunks that merges may not cross (``None``: one chunk).

    The chunks concatenate back to ``text`` exactly (the patterns above match
    every character).
    """
    text, pattern = check_str("text", text), _check_pattern(pattern)
    if pattern is None:
        return [text] if text else []
    return regex.findall(pattern, text)


def _check_pair_counts(ids: Any, counts: Any, weight: Any) -> tuple[Sequence[int], dict[Pair, int], int]:
    if counts is not None and not isinstance(counts, dict):  # O(1): counts accumulates over a whole corpus
        raise TypeError(f"counts must be a dict {{(a, b): count}} or None, got {type(counts).__name__}")
    return _check_ids("ids", ids), {} if counts is None else counts, check_int("weight", weight, min_value=1)


def pair_counts(ids: Sequence[int], *, counts: dict[Pair, int] | None = None, weight: int = 1) -> dict[Pair, int]:
    """Count adjacent pairs: ``counts[(a, b)] += weight`` for each neighbour pair in ``ids``.

    Overlapping pairs all count (``a a a`` holds ``(a, a)`` twice), as in the reference
    code of Sennrich et al. (2016), ``subword-nmt``, and in minbpe.
    ``counts`` (updated in place and returned) accumulates over several sequences.
    """
    ids, counts, weight = _check_pair_counts(ids, counts, weight)
    for pair in pairwise(ids):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def _check_merge_pair(ids: Any, pair: Any, new_id: Any) -> tuple[Sequence[int], Pair, int]:
    return _check_ids("ids", ids), _check_pair("pair", pair), _check_id("new_id", new_id)


def merge_pair(ids: Sequence[int], pair: Pair, new_id: int) -> list[int]:
    """Replace each occurrence of ``pair`` in ``ids``, scanning left to right, by ``new_id``."""
    ids, (a, b), new_id = _check_merge_pair(ids, pair, new_id)
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i + 1 < n and ids[i] == a and ids[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def best_pair(counts: dict[Pair, int]) -> Pair:
    """The most frequent pair; ties go to the smallest ``(a, b)`` (the book's tie rule)."""
    if not _check_counts("counts", counts):
        raise ValueError("counts must not be empty")
    return min(counts, key=lambda pair: (-counts[pair], pair))


def train_naive(text: str, vocab_size: int, *, pattern: str | None = GPT4_SPLIT_PATTERN) -> dict[Pair, int]:
    """The textbook training loop: recount all pairs after every merge.

    Slow (one pass over the whole corpus per merge) but short enough to read; it is
    the reference that :meth:`BPETokenizer.train` must reproduce exactly.
    """
    vocab_size = check_int("vocab_size", vocab_size, min_value=256)
    chunks = Counter(pretokenize(text, pattern))
    words = [list(chunk.encode("utf-8")) for chunk in chunks]
    freqs = list(chunks.values())
    merges: dict[Pair, int] = {}
    for new_id in range(256, vocab_size):
        counts: dict[Pair, int] = {}
        for word, freq in zip(words, freqs, strict=True):
            pair_counts(word, counts=counts, weight=freq)
        if not counts:
            break
        pair = best_pair(counts)
        merges[pair] = new_id
        words = [merge_pair(word, pair, new_id) for word in words]
    return merges


def train_trace(text: str, vocab_size: int, *, pattern: str | None = None) -> list[dict[str, Any]]:
    """Every step of naive training to ``vocab_size`` on a small text, for showing the loop by hand.

    Up to ``vocab_size - 256`` merges, as in :func:`train_naive`. Step ``k`` is a dict
    with the chunks as id lists before merge ``k`` (``"words"``),
    the pair counts (``"counts"``) and the chosen pair and its new id (``"pair"``,
    ``"new_id"``; ``None`` after the last merge).
    """
    n_merges = check_int("vocab_size", vocab_size, min_value=256) - 256
    words = [list(chunk.encode("utf-8")) for chunk in pretokenize(text, pattern)]
    steps: list[dict[str, Any]] = []
    for k in range(n_merges + 1):
        counts: dict[Pair, int] = {}
        for word in words:
            pair_counts(word, counts=counts)
        pair = best_pair(counts) if counts and k < n_merges else None
        new_id = 256 + k if pair is not None else None
        steps.append({"words": [list(w) for w in words], "counts": counts, "pair": pair, "new_id": new_id})
        if pair is None:
            break
        words = [merge_pair(word, pair, new_id) for word in words]
    return steps


def _check_linked(
    pair: Any, new_id: Any, tok: Any, nxt: Any, prv: Any, freq: Any, counts: Any, where: Any
) -> tuple[Pair, int]:
    """O(1) checks (this runs once per merge inside training): types and equal lengths."""
    for name, value in (("tok", tok), ("nxt", nxt), ("prv", prv), ("freq", freq)):
        if not isinstance(value, list):
            raise TypeError(f"{name} must be a list of ints, got {type(value).__name__}")
    if not len(tok) == len(nxt) == len(prv) == len(freq):
        raise ValueError(
            f"tok, nxt, prv and freq must have equal lengths, got {len(tok)}, {len(nxt)}, {len(prv)}, {len(freq)}"
        )
    if not isinstance(counts, dict):
        raise TypeError(f"counts must be a dict {{(a, b): count}}, got {type(counts).__name__}")
    if not isinstance(where, defaultdict) or where.default_factory is not set:
        raise TypeError(f"where must be a defaultdict(set) of positions, got {type(where).__name__}")
    return _check_pair("pair", pair), _check_id("new_id", new_id)


def merge_in_place(
    pair: Pair,
    new_id: int,
    *,
    tok: list[int],
    nxt: list[int],
    prv: list[int],
    freq: list[int],
    counts: dict[Pair, int],
    where: defaultdict[Pair, set[int]],
) -> set[Pair]:
    """Apply one merge in place on the linked lists, updating only the neighbours' counts.

    ``tok[p]`` is the id at position ``p`` (``-1`` once merged away), ``nxt``/``prv``
    link the live positions of one chunk (``-1`` at its ends), ``freq[p]`` is how
    often ``p``'s chunk occurs, and ``where[pair]`` holds (a superset of) the left
    positions of ``pair``. Merging ``a b`` between ``x`` and ``y`` removes the pairs
    ``(x, a)`` and ``(b, y)`` and adds ``(x, new)`` and ``(new, y)``; nothing else in
    the corpus changes. Returns the pairs whose count changed.
    """
    (a, b), new_id = _check_linked(pair, new_id, tok, nxt, prv, freq, counts, where)
    changed: set[Pair] = set()
    for p in sorted(where.pop(pair, ())):  # left to right, so "a a a" merges as (a a) a
        q = nxt[p]
        if tok[p] != a or q < 0 or tok[q] != b:
            continue  # stale entry: this position no longer starts the pair
        f, left, right = freq[p], prv[p], nxt[q]
        if left >= 0:
            x = tok[left]
            counts[(x, a)] -= f
            counts[(x, new_id)] = counts.get((x, new_id), 0) + f
            where[(x, new_id)].add(left)
            changed.update(((x, a), (x, new_id)))
        if right >= 0:
            y = tok[right]
            counts[(b, y)] -= f
            counts[(new_id, y)] = counts.get((new_id, y), 0) + f
            where[(new_id, y)].add(p)
            changed.update(((b, y), (new_id, y)))
        tok[p], tok[q] = new_id, -1
        nxt[p] = right
        if right >= 0:
            prv[right] = p
    counts.pop(pair, None)
    changed.discard(pair)
    return changed


def train_merges(text: str, vocab_size: int, *, pattern: str | None = GPT4_SPLIT_PATTERN) -> dict[Pair, int]:
    """Fast BPE training with the same result as :func:`train_naive`.

    The corpus is pre-tokenized once and identical chunks are stored once with their
    frequency. Pair counts are computed once; each merge then visits only the
    positions where its pair occurs (``where``) and updates the counts of the
    neighbouring pairs (:func:`merge_in_place`). The most frequent pair comes from a
    heap of ``(-count, a, b)`` with lazy invalidation: an entry whose count is out of
    date is skipped when popped (every count change pushes a fresh entry). Training
    stops early if no pair is left (every chunk is one token).
    """
    vocab_size = check_int("vocab_size", vocab_size, min_value=256)
    chunks = Counter(pretokenize(text, pattern))
    tok: list[int] = []
    freq: list[int] = []
    bounds: list[tuple[int, int]] = []  # each chunk's [start, end) in tok
    for chunk, f in chunks.items():
        data = chunk.encode("utf-8")
        bounds.append((len(tok), len(tok) + len(data)))
        tok.extend(data)
        freq.extend([f] * len(data))
    n = len(tok)
    nxt = list(range(1, n + 1))
    prv = list(range(-1, n - 1))
    for start, end in bounds:
        prv[start], nxt[end - 1] = -1, -1
    counts: dict[Pair, int] = {}
    where: defaultdict[Pair, set[int]] = defaultdict(set)
    for p in range(n):
        q = nxt[p]
        if q >= 0:
            pair = (tok[p], tok[q])
            counts[pair] = counts.get(pair, 0) + freq[p]
            where[pair].add(p)
    heap = [(-c, a, b) for (a, b), c in counts.items()]
    heapq.heapify(heap)
    merges: dict[Pair, int] = {}
    for new_id in range(256, vocab_size):
        pair = None
        while heap:
            neg, a, b = heapq.heappop(heap)
            if counts.get((a, b), 0) == -neg > 0:
                pair = (a, b)
                break
        if pair is None:
            break
        merges[pair] = new_id
        for changed in merge_in_place(pair, new_id, tok=tok, nxt=nxt, prv=prv, freq=freq, counts=counts, where=where):
            c = counts.get(changed, 0)
            if c > 0:
                heapq.heappush(heap, (-c, *changed))
            else:
                counts.pop(changed, None)
    return merges


def vocab_from_merges(merges: dict[Pair, int]) -> dict[int, bytes]:
    """The bytes of every id: 0..255 are single bytes, ``vocab[new] = vocab[a] + vocab[b]``."""
    vocab = {i: bytes([i]) for i in range(256)}
    for (a, b), new_id in _check_merges(merges).items():
        vocab[new_id] = vocab[a] + vocab[b]
    return vocab


def _check_merges(merges: Any) -> dict[Pair, int]:
    if not isinstance(merges, dict):
        raise TypeError(f"merges must be a dict {{(id1, id2): new_id}}, got {type(merges).__name__}")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in merges.values()):
        raise TypeError("merges must map pairs to int ids")
    items = sorted(merges.items(), key=lambda item: item[1])
    for k, (pair, new_id) in enumerate(items):
        if new_id != 256 + k:
            raise ValueError(f"merges must assign ids 256, 257, ... in order, got {new_id} at position {k}")
        if isinstance(new_id, bool) or not isinstance(new_id, int):
            raise TypeError(f"merges must map pairs to int ids, got {new_id!r}")
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < new_id for i in pair)
        ):
            raise ValueError(f"merges must map pairs of earlier ids to the new id, got {pair!r} -> {new_id}")
    return dict(items)


# ----------------------------------------------------------------------------- the tokenizer


class BPETokenizer:
    """A byte-level BPE tokenizer: regex pre-tokenization, then merges by rank.

    ``pattern`` is a pattern for the ``regex`` package (default: GPT-4's) or
    ``None`` for no pre-splitting. After :meth:`train`, ``merges[(a, b)]`` is the
    id of the merged pair and ``vocab[id]`` its bytes.
    """

    def __init__(self, pattern: str | None = GPT4_SPLIT_PATTERN) -> None:
        self.pattern = _check_pattern(pattern)
        self._compiled = regex.compile(self.pattern) if self.pattern is not None else None
        self.merges: dict[Pair, int] = {}
        self.vocab: dict[int, bytes] = vocab_from_merges({})
        self._cache: dict[str, list[int]] = {}

    # -- construction --------------------------------------------------------------

    @classmethod
    def from_merges(cls, merges: dict[Pair, int], *, pattern: str | None = GPT4_SPLIT_PATTERN) -> BPETokenizer:
        """A tokenizer with the given merges (ids ``256, 257, ...``, each pair of earlier ids)."""
        tokenizer = cls(pattern)
        tokenizer._set_merges(_check_merges(merges))
        return tokenizer

    def _set_merges(self, merges: dict[Pair, int]) -> None:
        self.merges = dict(merges)
        self.vocab = vocab_from_merges(self.merges)
        self._cache = {}

    def train(self, text: str, vocab_size: int) -> BPETokenizer:
        """Learn ``vocab_size - 256`` merges from ``text`` (see :func:`train_merges`); returns ``self``."""
        self._set_merges(train_merges(text, vocab_size, pattern=self.pattern))
        return self

    def truncated(self, vocab_size: int) -> BPETokenizer:
        """The tokenizer with only the first ``vocab_size - 256`` merges.

        BPE is greedy, so the first ``k`` merges of a longer run are exactly what a
        run to vocabulary ``256 + k`` learns: one training run gives every smaller size.
        """
        vocab_size = check_int("vocab_size", vocab_size, min_value=256)
        return BPETokenizer.from_merges({p: i for p, i in self.merges.items() if i < vocab_size}, pattern=self.pattern)

    @property
    def vocab_size(self) -> int:
        """Number of ids: 256 bytes plus one per merge."""
        return 256 + len(self.merges)

    # -- encode / decode -----------------------------------------------------------

    def encode_chunk(self, data: bytes) -> list[int]:
        """BPE on one chunk's bytes: repeatedly apply the lowest-id merge present.

        Each round finds, among the adjacent pairs, the one learned earliest and
        merges all its occurrences; it stops when no adjacent pair is a merge.
        This replays training's merge order on new text.
        """
        ids = list(check_bytes("data", data))
        merges = self.merges
        while len(ids) >= 2:
            pair = min(pairwise(ids), key=lambda p: merges.get(p, math.inf))
            new_id = merges.get(pair)
            if new_id is None:
                break
            ids = merge_pair(ids, pair, new_id)
        return ids

    def encode_long_chunk(self, data: bytes) -> list[int]:
        """Same result as :meth:`encode_chunk`, in time about linear in ``len(data)``.

        For long chunks (a text with no pre-split is one chunk): the pairs present
        go into a heap keyed by their merge id, and each merge updates only its
        neighbours (:func:`merge_in_place`), as in training. A merge only creates pairs
        with larger ids, so popping the heap visits merges in the same order as
        the round-by-round loop.
        """
        tok = list(check_bytes("data", data))
        merges, n = self.merges, len(tok)
        nxt = list(range(1, n + 1))
        prv = list(range(-1, n - 1))
        if n:
            nxt[-1] = -1
        freq = [1] * n
        counts: dict[Pair, int] = {}
        where: defaultdict[Pair, set[int]] = defaultdict(set)
        for p in range(n - 1):
            pair = (tok[p], tok[p + 1])
            counts[pair] = counts.get(pair, 0) + 1
            where[pair].add(p)
        heap = [(merges[pair], pair) for pair in counts if pair in merges]
        heapq.heapify(heap)
        while heap:
            new_id, pair = heapq.heappop(heap)
            if counts.get(pair, 0) <= 0:
                continue  # no longer present (or already merged)
            for changed in merge_in_place(
                pair, new_id, tok=tok, nxt=nxt, prv=prv, freq=freq, counts=counts, where=where
            ):
                if counts.get(changed, 0) > 0 and changed in merges and merges[changed] > new_id:
                    heapq.heappush(heap, (merges[changed], changed))
        return [t for t in tok if t >= 0]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``: pre-tokenize, then BPE each chunk (cached per chunk)."""
        text = check_str("text", text)
        chunks = [text] if self._compiled is None else self._compiled.findall(text)
        cache = self._cache
        if len(cache) > 200_000:
            cache.clear()
        ids: list[int] = []
        for chunk in chunks:
            chunk_ids = cache.get(chunk)
            if chunk_ids is None:
                data = chunk.encode("utf-8")
                chunk_ids = self.encode_chunk(data) if len(data) <= 64 else self.encode_long_chunk(data)
                if len(chunk) <= 256:
                    cache[chunk] = chunk_ids
            ids.extend(chunk_ids)
        return ids

    def _check_ids(self, ids: Any) -> list[int]:
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
            raise TypeError(f"ids must be a sequence of ints, got {type(ids).__name__}")
        out = []
        for k, i in enumerate(ids):
            if isinstance(i, bool) or not hasattr(i, "__index__"):
                raise TypeError(f"ids must contain ints, got {type(i).__name__} {i!r} at position {k}")
            i = int(i)
            if i not in self.vocab:
                raise ValueError(f"ids must be in the vocabulary [0, {self.vocab_size}), got {i} at position {k}")
            out.append(i)
        return out

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        """The bytes of ``ids`` concatenated."""
        vocab = self.vocab
        return b"".join(vocab[i] for i in self._check_ids(ids))

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``; bytes that are not valid UTF-8 become U+FFFD (never an error)."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def token_bytes(self, text: str) -> list[bytes]:
        """The bytes of each token of ``text`` (how the text is split)."""
        return [self.vocab[i] for i in self.encode(text)]

    # -- save / load ---------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write a readable file: a header, the pattern as JSON, then one merge ``id1 id2`` per line.

        Line ``3 + k`` holds the pair that became id ``256 + k``.
        """
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
        lines = [FILE_HEADER, "pattern " + json.dumps(self.pattern)]
        lines += [f"{a} {b}" for (a, b), _ in sorted(self.merges.items(), key=lambda item: item[1])]
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a file written by :meth:`save`; a malformed file raises ``ValueError`` naming path and line."""
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise ValueError(f"path {str(path)!r} is not a UTF-8 text file: {exc}") from exc

        def bad(line_no: int, why: str) -> ValueError:
            return ValueError(f"path {str(path)!r}, line {line_no}: {why}")

        if not lines or lines[0].strip() != FILE_HEADER:
            raise bad(1, f"expected the header {FILE_HEADER!r}")
        if len(lines) < 2 or not lines[1].startswith("pattern "):
            raise bad(2, "expected 'pattern <JSON string or null>'")
        try:
            pattern = json.loads(lines[1][len("pattern ") :])
        except json.JSONDecodeError as exc:
            raise bad(2, f"the pattern is not valid JSON ({exc})") from exc
        if pattern is not None and not isinstance(pattern, str):
            raise bad(2, "the pattern must be a JSON string or null")
        try:
            tokenizer = cls(pattern)
        except (TypeError, ValueError) as exc:
            raise bad(2, str(exc)) from exc
        merges: dict[Pair, int] = {}
        for line_no, line in enumerate(lines[2:], start=3):
            if not line.strip():
                continue
            new_id = 256 + len(merges)
            parts = line.split()
            if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
                raise bad(line_no, f"expected two ids 'id1 id2', got {line!r}")
            a, b = int(parts[0]), int(parts[1])
            if a >= new_id or b >= new_id:
                raise bad(line_no, f"ids must be below the new id {new_id}, got {a} {b}")
            if (a, b) in merges:
                raise bad(line_no, f"duplicate merge {a} {b}")
            merges[(a, b)] = new_id
        tokenizer._set_merges(merges)
        return tokenizer

    def __repr__(self) -> str:
        kind = (
            "no pre-split"
            if self.pattern is None
            else (
                "GPT-2 pattern"
                if self.pattern == GPT2_SPLIT_PATTERN
                else "GPT-4 pattern"
                if self.pattern == GPT4_SPLIT_PATTERN
                else "custom pattern"
            )
        )
        return f"BPETokenizer(vocab_size={self.vocab_size}, {kind})"


# ----------------------------------------------------------------------------- measuring


def bytes_per_token(tokenizer: BPETokenizer, text: str) -> float:
    """Compression: UTF-8 bytes of ``text`` divided by its number of tokens (higher is shorter)."""
    tokenizer = check_instance("tokenizer", tokenizer, BPETokenizer)
    text = check_str("text", text, allow_empty=False)
    return len(text.encode("utf-8")) / len(tokenizer.encode(text))


def compression_curve(tokenizer: BPETokenizer, text: str, vocab_sizes: Sequence[int]) -> list[float]:
    """Bytes per token of ``text`` for each vocabulary size, reusing one trained tokenizer."""
    tokenizer = check_instance("tokenizer", tokenizer, BPETokenizer)
    text = check_str("text", text, allow_empty=False)
    sizes = [check_int("vocab_sizes", v, min_value=256) for v in check_values("vocab_sizes", vocab_sizes)]
    return [bytes_per_token(tokenizer.truncated(v), text) for v in sizes]
