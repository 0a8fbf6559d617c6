"""The pre-processing rules of a document's process rule (4.9 `pre_process_rules`), applied before splitting."""

import re
from collections.abc import Iterable

REMOVE_EXTRA_SPACE = "remove_extra_space"
REMOVE_URL_AND_EMAIL = "remove_url_and_email"
PRE_PROCESS_RULE_IDS = (REMOVE_EXTRA_SPACE, REMOVE_URL_AND_EMAIL)

# Line and page breaks of every kind become "\n" so that later rules and the splitter see one form.
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# C0/C1 controls other than tab and newline, the byte-order mark and the noncharacters.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\ufffe\uffff]")

_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")

# The characters RFC 3986 allows in a URL; Chinese text right after a link is therefore not part of it.
_URL_CHARACTERS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
# [text](url "title") and ![alt](url): the link goes, its text stays.
_MARKDOWN_LINK = re.compile(
    r"!?\[([^\]\n]*)\]\(\s*(?:https?://|www\.)" + _URL_CHARACTERS + r"*(?:\s+\"[^\"\n]*\")?\s*\)", re.I
)
_SCHEME_URL = re.compile(r"(?<![A-Za-z0-9])https?://" + _URL_CHARACTERS + "+", re.I)
# The look-behind lets a match start only where a run of address characters starts, which keeps
# long runs without "@" linear.
_EMAIL = re.compile(
    r"(?:(?<![A-Za-z0-9])mailto:)?(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+"
    r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    re.I,
)
_WWW_URL = re.compile(r"(?<![A-Za-z0-9.@/\-])www\.[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+" + _URL_CHARACTERS + "*", re.I)
_TRAILING_PUNCTUATION = ".,;:!?'\""


def clean_text(text: str, rule_ids: Iterable[str]) -> str:
    """Strips control characters, then applies the enabled rules in a fixed order.

    URLs and e-mail addresses go before spaces are collapsed, so the gaps they leave are
    collapsed too. Unknown rule ids are ignored: the API validates them.
    """
    enabled = set(rule_ids)
    text = strip_control_characters(text)
    if REMOVE_URL_AND_EMAIL in enabled:
        text = remove_urls_and_emails(text)
    if REMOVE_EXTRA_SPACE in enabled:
        text = remove_extra_space(text)
    return text


def strip_control_characters(text: str) -> str:
    return _CONTROL_CHARACTERS.sub("", _LINE_BREAKS.sub("\n", text))


def remove_extra_space(text: str) -> str:
    """Runs of spaces and tabs become one space and three or more newlines two; paragraphs stay apart."""
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def remove_urls_and_emails(text: str) -> str:
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _SCHEME_URL.sub(_keep_trailing_punctuation, text)
    text = _EMAIL.sub("", text)
    return _WWW_URL.sub(_keep_trailing_punctuation, text)


def _keep_trailing_punctuation(match: re.Match[str]) -> str:
    """A sentence's full stop or closing bracket right after a link belongs to the sentence."""
    url = match.group()
    end = len(url)
    while end > 0:
        last = url[end - 1]
        if last in _TRAILING_PUNCTUATION:
            end -= 1
        elif last == ")" and url[:end].count("(") < url[:end].count(")"):
            end -= 1
        elif last == "]" and url[:end].count("[") < url[:end].count("]"):
            end -= 1
        else:
            break
    return url[end:]
