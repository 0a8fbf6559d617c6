"""The per-platform profiles (platforms.yaml, read once) and the check every generated or
optimized draft goes through: its title, body and tags against the platform's rules, and the
trim that makes a draft fit when the model could not."""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel

CATALOG = Path(__file__).with_name("platforms.yaml")
LENGTHS = ("short", "medium", "long")
# Where a body may be cut: after the end of a sentence or line.
SENTENCE_END = re.compile(r"[。！？!?…\n]")
TAG_MARKS = "#＃ \t"


class TitleRule(BaseModel):
    required: bool
    max_chars: int


class BodyRule(BaseModel):
    min_chars: int
    max_chars: int


class TagRule(BaseModel):
    min: int
    max: int
    max_chars: int
    format: str  # how a tag is written in the text, "{tag}" standing for the tag


class PlatformProfile(BaseModel):
    name: str
    label: str
    title: TitleRule
    body: BodyRule
    tags: TagRule
    lengths: dict[str, int]
    hints: list[str]

    def target_chars(self, length: str) -> int:
        return self.lengths[length]


@cache
def profiles() -> dict[str, PlatformProfile]:
    raw = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    return {name: PlatformProfile(name=name, **entry) for name, entry in raw.items()}


def platform_names() -> list[str]:
    return list(profiles())


@dataclass
class Draft:
    title: str
    body: str
    tags: list[str] = field(default_factory=list)

    def normalized(self) -> "Draft":
        """Surrounding whitespace gone, tags without their # marks, empty and repeated tags dropped."""
        tags: list[str] = []
        for tag in self.tags:
            bare = tag.strip(TAG_MARKS)
            if bare and bare not in tags:
                tags.append(bare)
        return Draft(title=self.title.strip(), body=self.body.strip(), tags=tags)


def violations(profile: PlatformProfile, draft: Draft) -> list[str]:
    """What breaks the platform's rules, each said the way the model is told to fix it."""
    found = []
    if profile.title.required and not draft.title:
        found.append("缺少标题")
    if len(draft.title) > profile.title.max_chars:
        found.append(f"标题{len(draft.title)}字，超过{profile.label}的上限{profile.title.max_chars}字")
    if len(draft.body) < profile.body.min_chars:
        found.append(f"正文{len(draft.body)}字，少于{profile.label}的下限{profile.body.min_chars}字")
    if len(draft.body) > profile.body.max_chars:
        found.append(f"正文{len(draft.body)}字，超过{profile.label}的上限{profile.body.max_chars}字")
    if len(draft.tags) < profile.tags.min:
        found.append(f"话题标签{len(draft.tags)}个，少于{profile.tags.min}个")
    if len(draft.tags) > profile.tags.max:
        found.append(f"话题标签{len(draft.tags)}个，超过{profile.tags.max}个")
    long_tags = [tag for tag in draft.tags if len(tag) > profile.tags.max_chars]
    if long_tags:
        found.append(f"话题标签超过{profile.tags.max_chars}字：{'、'.join(long_tags)}")
    return found


def trim(profile: PlatformProfile, draft: Draft) -> tuple[Draft, list[str]]:
    """The draft cut to the platform's upper limits, with what was cut. Lower limits (a body too
    short, too few tags) cannot be met by cutting: they stay, and `violations` still names them."""
    changes = []
    title, body, tags = draft.title, draft.body, list(draft.tags)
    if len(title) > profile.title.max_chars:
        title = title[: profile.title.max_chars].rstrip()
        changes.append(f"标题截断为{profile.title.max_chars}字以内")
    if len(body) > profile.body.max_chars:
        body = cut_at_sentence(body, profile.body.max_chars)
        changes.append(f"正文截断为{profile.body.max_chars}字以内")
    long_tags = [tag for tag in tags if len(tag) > profile.tags.max_chars]
    if long_tags:
        tags = [tag for tag in tags if len(tag) <= profile.tags.max_chars]
        changes.append(f"删除过长的话题标签：{'、'.join(long_tags)}")
    if len(tags) > profile.tags.max:
        changes.append(f"话题标签保留前{profile.tags.max}个")
        tags = tags[: profile.tags.max]
    return Draft(title=title, body=body, tags=tags), changes


def cut_at_sentence(text: str, max_chars: int) -> str:
    """`text` within `max_chars`, ending at the last sentence end that fits (else cut hard)."""
    head = text[:max_chars]
    ends = [match.end() for match in SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= max_chars // 2:
        head = head[: ends[-1]]
    return head.rstrip()


def render(profile: PlatformProfile, draft: Draft) -> str:
    """The text as it goes out: the title, the body, then the tags written the platform's way."""
    parts = [part for part in (draft.title, draft.body) if part]
    if draft.tags:
        parts.append(" ".join(profile.tags.format.format(tag=tag) for tag in draft.tags))
    return "\n\n".join(parts)
