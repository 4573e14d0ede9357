"""Text corpora for the language lessons: nothing is downloaded.

The training corpus is the English reference text that ships inside CPython
(``pydoc_data.topics``: the help pages behind ``help("assert")`` and friends,
about 0.47 MB of UTF-8), one page per help topic. The sample texts and the
Chinese paragraphs are short, written for this book, and cover the cases a
tokenizer finds hard: Chinese, emoji, code and numbers.
"""

from __future__ import annotations

import random

from dlbook.checks import check_fraction, check_int, check_seed

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


#: A few paragraphs of Chinese written for this book (about a thousand characters, 899 of them Han), the
#: "little Chinese" mixed into the English corpus to train a mostly English tokenizer.
CHINESE_PARAGRAPHS: tuple[str, ...] = (
    "语言模型并不直接阅读文字。它先把一段文本切成许多小块，每一块叫做一个词元，"
    "再把每个词元换成一个整数编号。模型在训练时看到的是一串整数，它要学会的，"
    "就是根据前面的整数预测下一个整数。所以，词元化是文本进入模型之前的第一道工序，"
    "也是最容易被忽视的一道工序。",
    "最简单的办法是按字节切分。计算机用UTF-8编码保存文字：一个英文字母占一个字节，"
    "一个常用汉字占三个字节，一个表情符号往往占四个字节。按字节切分永远不会遇到"
    "不认识的字符，但是序列会变得很长，而注意力的计算量随着序列长度的平方增长。",
    "字节对编码的想法很朴素。先统计语料中每一对相邻符号出现的次数，把最常见的一对"
    "合并成一个新符号，然后重新统计，再合并，直到词表达到预定的大小。合并的顺序"
    "本身就是训练得到的分词器。编码新文本时，只要按照同样的顺序重放这些合并规则。",
    "一个分词器擅长什么样的文字，完全取决于它的训练语料。如果语料几乎全是英文，"
    "常见的英文单词就会各自成为一个词元，而汉字只能拆成字节，或者拆成两三个片段。"
    "如果语料里中文很多，常用的汉字甚至常用的词语也会成为单独的词元。",
    "春天来了，河边的柳树发出新芽，田野里的油菜花开成一片金黄。孩子们放学以后"
    "在草地上放风筝，老人们坐在树下喝茶、下棋、聊天。傍晚的风还有一点凉，"
    "可是谁也不想早早回家。",
    "我的祖母做饭从来不用量杯。她说，盐放多少要看菜的颜色，火开多大要听锅里的声音。"
    "我跟着她学了很多年，记下了厚厚一本笔记，可是做出来的味道总是差一点。后来我才明白，"
    "她的本事不在笔记里，而在几十年的练习里。",
    "城市的地铁每天早上都很拥挤。有人站着看手机，有人闭着眼睛休息，也有人拿着一本纸书，"
    "在摇晃的车厢里读得很认真。列车到站，车门打开，人群像潮水一样涌出去，"
    "又有一群人涌进来。",
    "学习一门新的知识，最好的办法往往是亲手去做。读十遍说明，不如自己写一遍代码，"
    "运行它，看它在哪里出错，再想一想为什么。本书的每一章都可以直接运行："
    "书中的每一个数字都是代码算出来的，每一个结论都有断言来检查。",
    "数字在分词器里也有自己的规则。有的分词器把每个数字单独切开，例如把2024切成"
    "2、0、2、4四个词元；有的分词器最多把三个数字合成一个词元。不同的规则，"
    "会让模型在做算术时看到完全不同的序列。",
    "山里的夜晚特别安静。没有汽车的声音，也没有霓虹灯，只有虫子在草丛里轻轻地叫。"
    "抬头看天，星星多得数不清，银河像一条淡淡的白色长带，从山的这一边一直延伸到那一边。",
)


def python_docs_corpus(max_chars: int | None = None) -> str:
    """The English help text that ships with Python, as one deterministic string.

    The topics of ``pydoc_data.topics.topics`` are joined in sorted key order,
    separated by a blank line, so every run and every machine with the same
    Python version gets the same text. ``max_chars`` keeps only the first
    characters (a quick slice for tests and small examples).
    """
    text = "\n\n".join(python_docs_pages().values()) + "\n"
    if max_chars is not None:
        max_chars = check_int("max_chars", max_chars, min_value=1)
        text = text[:max_chars]
    return text


def python_docs_pages() -> dict[str, str]:
    """The help pages of :func:`python_docs_corpus`, one per topic, in sorted key order."""
    from pydoc_data.topics import topics

    return {key: topics[key].strip("\n") for key in sorted(topics)}


def python_docs_split(held_out: float = 0.1, *, seed: int = 0) -> tuple[str, str]:
    r"""The corpus split by whole pages into (training text, held-out text).

    A seeded random ``held_out`` fraction of the help pages (at least one) is held
    out; each part joins its pages in sorted order like :func:`python_docs_corpus`.
    Whole pages, so no page is half seen; random, so the held-out part is not one
    kind of page (the sorted tail is the table-heavy ``types*`` pages).
    """
    held_out = check_fraction("held_out", held_out, allow_one=False)
    seed = check_seed("seed", seed)
    pages = python_docs_pages()
    n_held = max(1, round(held_out * len(pages)))
    held = set(random.Random(seed).sample(sorted(pages), n_held))

    def join(keys: list[str]) -> str:
        return "\n\n".join(pages[key] for key in keys) + "\n"

    return join([k for k in pages if k not in held]), join([k for k in pages if k in held])


def chinese_text() -> str:
    """The book's Chinese paragraphs (:data:`CHINESE_PARAGRAPHS`), one per line."""
    return "\n".join(CHINESE_PARAGRAPHS) + "\n"


def sample_texts() -> dict[str, str]:
    """A copy of :data:`SAMPLE_TEXTS` (name -> text), in a fixed order."""
    return dict(SAMPLE_TEXTS)


def zen_of_python() -> str:
    """The Zen of Python (PEP 20), read from the ``this`` module without printing it.

    ``this`` stores the text ROT13-encoded and prints it on first import; the
    import is silenced so a lesson shows only what it chooses to show.
    """
    import codecs
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        import this
    return codecs.decode(this.s, "rot13")


def wikipedia_sample(chunk_tokens: int = 1000) -> list[list[str]]:
    r"""The shortened English Wikipedia dump that ships in gensim's test data, as token lists.

    Parsed by ``gensim.corpora.wikicorpus`` (lower case, markup and short tokens
    removed; 106 articles, about 0.45 M tokens) and cut into pieces of at most
    ``chunk_tokens`` tokens, so that every trainer sees the same "sentences"
    (gensim truncates longer ones at 10,000).
    """
    chunk_tokens = check_int("chunk_tokens", chunk_tokens, min_value=1)
    from gensim.corpora.wikicorpus import WikiCorpus
    from gensim.test.utils import datapath

    dump = datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    articles = WikiCorpus(dump, dictionary={}, processes=1).get_texts()
    return [text[i : i + chunk_tokens] for text in articles for i in range(0, len(text), chunk_tokens)]
