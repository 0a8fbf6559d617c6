"""Terms of a text for counting trends: jieba's words (its dictionary ships in the package) of
two or more characters, English words lower-cased, without stop words, numbers and punctuation."""

import logging
import re
from functools import cache

import jieba

jieba.setLogLevel(logging.WARNING)

WORD = re.compile(r"[\w\u4e00-\u9fff]+")
STOP_WORDS = frozenset(
    "我们 你们 他们 她们 它们 自己 什么 怎么 为什么 这个 那个 这些 那些 这样 那样 一个 一些 没有 不是 就是 还是 可以 可能 因为 所以 "
    "但是 而且 如果 或者 以及 已经 现在 今天 时候 知道 觉得 感觉 需要 应该 一下 一直 真的 非常 还有 然后 其实 这么 那么 多少 如何 "
    "吗 呢 吧 的 了 是 在 和 有 也 都 就 被 对 与 及 等 很 "
    "the and for are but not you your with this that have from they will would there their what about which when "
    "can just into than then them these those was were been being does did doing how why who whom its our out".split()
)


@cache
def _warm() -> None:
    jieba.initialize()  # loads the bundled dictionary once, not on the first request's clock


def terms(text: str) -> list[str]:
    _warm()
    found = []
    for chunk in WORD.findall(text or ""):
        for word in jieba.lcut(chunk):
            word = word.strip().lower()
            if len(word) < 2 or word in STOP_WORDS or word.isdigit() or word.replace("_", "") == "":
                continue
            found.append(word)
    return found
