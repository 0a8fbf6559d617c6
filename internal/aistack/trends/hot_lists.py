"""The public hot lists read through the guarded HTTP client, one parser per platform's real JSON:
Weibo `GET /ajax/side/hotSearch` (data.realtime[]: word, num, note, is_ad), Zhihu
`GET /api/v3/feed/topstory/hot-lists/total` (data[]: target.title/id/excerpt, detail_text
"1234 万热度"), Baidu `GET /api/board?platform=wise&tab=realtime` (data.cards[0].content[]: word,
hotScore, url, desc)."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from config import Settings
from internal.aistack.gateway.errors import ServiceUnavailableException
from pkg.guarded_http import GuardedHttpClient, OutboundRequestError

# Platforms whose lists come from outside, in the order the document names them.
REMOTE_PLATFORMS = ("weibo", "zhihu", "baidu")
PLATFORM_TITLES = {"weibo": "微博", "zhihu": "知乎", "baidu": "百度", "local": "本平台"}
MAX_TITLE = 255
HEADERS = {"User-Agent": "Mozilla/5.0 (compatible; LLMOps-AIStack/2.1)", "Accept": "application/json"}


@dataclass(frozen=True)
class HotItem:
    rank: int
    title: str
    heat: int | None
    url: str = ""
    excerpt: str = ""


def _number(text: Any) -> int | None:
    """123 / "123" / "1234 万热度" / "1.2亿" as an integer."""
    if isinstance(text, (int, float)):
        return int(text)
    match = re.search(r"([\d.]+)\s*(万|亿)?", str(text or ""))
    if not match:
        return None
    try:
        value = float(match.group(1))
    except ValueError:
        return None
    return int(value * {"万": 10_000, "亿": 100_000_000}.get(match.group(2) or "", 1))


def parse_weibo(payload: dict) -> list[HotItem]:
    items = []
    for entry in payload["data"]["realtime"]:
        if entry.get("is_ad"):  # promoted entries are advertisements, not trends
            continue
        word = str(entry.get("word") or entry.get("note") or "").strip()
        if word:
            url = f"https://s.weibo.com/weibo?q={quote('#' + word + '#')}"
            items.append(HotItem(len(items) + 1, word[:MAX_TITLE], _number(entry.get("num")), url, str(entry.get("label_name") or "")))
    return items


def parse_zhihu(payload: dict) -> list[HotItem]:
    items = []
    for entry in payload["data"]:
        target = entry.get("target") or {}
        title = str(target.get("title") or "").strip()
        if title:
            url = f"https://www.zhihu.com/question/{target['id']}" if target.get("id") else ""
            items.append(HotItem(len(items) + 1, title[:MAX_TITLE], _number(entry.get("detail_text")), url, str(target.get("excerpt") or "")))
    return items


def parse_baidu(payload: dict) -> list[HotItem]:
    items = []
    for entry in payload["data"]["cards"][0]["content"]:
        word = str(entry.get("word") or entry.get("query") or "").strip()
        if word:
            url = str(entry.get("url") or entry.get("rawUrl") or "")
            items.append(HotItem(len(items) + 1, word[:MAX_TITLE], _number(entry.get("hotScore")), url, str(entry.get("desc") or "")))
    return items


@dataclass(frozen=True)
class _Source:
    base: Callable[[Settings], str]
    path: str
    params: dict
    parse: Callable[[dict], list[HotItem]]


SOURCES = {
    "weibo": _Source(lambda s: s.aistack_trends.trends_weibo_base, "/ajax/side/hotSearch", {}, parse_weibo),
    "zhihu": _Source(lambda s: s.aistack_trends.trends_zhihu_base, "/api/v3/feed/topstory/hot-lists/total", {"limit": 50}, parse_zhihu),
    "baidu": _Source(lambda s: s.aistack_trends.trends_baidu_base, "/api/board", {"platform": "wise", "tab": "realtime"}, parse_baidu),
}


def fetch_hot_list(http: GuardedHttpClient, settings: Settings, platform: str) -> list[HotItem]:
    """The platform's list as it stands; SERVICE_UNAVAILABLE when it cannot be read."""
    source = SOURCES[platform]
    name = PLATFORM_TITLES[platform]
    try:
        response = http.request("GET", source.base(settings).rstrip("/") + source.path, params=source.params, headers=HEADERS)
    except OutboundRequestError:
        raise ServiceUnavailableException(f"{name}热榜暂不可用，请稍后重试", {"platform": platform}) from None
    if response.status_code != 200:
        raise ServiceUnavailableException(f"{name}热榜暂不可用（HTTP {response.status_code}），请稍后重试", {"platform": platform})
    try:
        return source.parse(json.loads(response.text))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ServiceUnavailableException(f"{name}热榜返回了无法识别的数据", {"platform": platform}) from None
