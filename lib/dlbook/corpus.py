"""Text corpora for the language lessons: nothing is downloaded.

The training corpus is the English reference text that ships inside CPython
(``pydoc_data.topics``: the help pages behind ``help("assert")`` and friends,
about 0.47 MB of UTF-8). The sample texts are short, written for this book,
and cover the cases a tokenizer finds hard: Chinese, emoji, code and numbers.
"""

from __future__ import annotations

from dlbook.checks import check_int

#: Short texts written for this book, one per kind of input a tokenizer meets.
SAMPLE_TEXTS: dict[str, str] = {
    "English prose": (
        "Hello World! The model reads text as a sequence of tokens and predicts "
        "the next one. Common words such as the, and, of cost a single token."
    ),
    "Python code": ("def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"),
    "Chinese": "你好，世界！语言模型把文字切成词元，然后预测下一个词元。",
    "Emoji": "Tokens 🙂 are bytes 🚀🚀 underneath 👩‍💻 — even flags 🇫🇷 and hearts ❤️.",
    "Numbers": "In 2024 the price rose from 1234.56 to 98765.43, a 12.5% jump; pi = 3.14159265.",
}

#: The sentence used to show how GPT-style tokenizers treat case, leading spaces and
#: Chinese: "Hello World" plus words that are frequent in the Python docs corpus.
HELLO_WORLD = "Hello World! The function returns the value; the Function returns a list. 你好世界！"


def python_docs_corpus(max_chars: int | None = None) -> str:
    """The English help text that ships with Python, as one deterministic string.

    The topics of ``pydoc_data.topics.topics`` are joined in sorted key order,
    separated by a blank line, so every run and every machine with the same
    Python version gets the same text. ``max_chars`` keeps only the first
    characters (a quick slice for tests and small examples).
    """
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[key].strip("\n") for key in sorted(topics)) + "\n"
    if max_chars is not None:
        max_chars = check_int("max_chars", max_chars, min_value=1)
        text = text[:max_chars]
    return text


def sample_texts() -> dict[str, str]:
    """A copy of :data:`SAMPLE_TEXTS` (name -> text), in a fixed order."""
    return dict(SAMPLE_TEXTS)
