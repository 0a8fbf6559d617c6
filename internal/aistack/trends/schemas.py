"""Requests and responses of the trend analysis system."""

import re
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from internal.schema.common import RequestModel

DATE_RANGE = re.compile(r"^last_(\d{1,3})_(hours|days)$")
MAX_RANGE_DAYS = 365


class Platform(str, Enum):
    WEIBO = "weibo"
    ZHIHU = "zhihu"
    BAIDU = "baidu"
    LOCAL = "local"


def _date_range(value: str) -> str:
    match = DATE_RANGE.match(value)
    if not match or int(match.group(1)) < 1:
        raise ValueError("格式为last_<N>_days或last_<N>_hours，如last_7_days")
    if range_delta(value) > timedelta(days=MAX_RANGE_DAYS):
        raise ValueError(f"时间范围最长{MAX_RANGE_DAYS}天")
    return value


def range_delta(value: str) -> timedelta:
    number, unit = DATE_RANGE.match(value).groups()
    return timedelta(**{unit: int(number)})


def range_bounds(value: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    end = now or datetime.now(UTC)
    return end - range_delta(value), end


class HotTopicsQuery(RequestModel):
    platform: Platform = Field(Platform.WEIBO, description="weibo、zhihu、baidu，或local（本平台的对话与文档，离线可用）")
    limit: int = Field(20, ge=1, le=50)


class HotTopic(BaseModel):
    rank: int
    title: str
    heat: int | None = Field(None, description="平台给出的热度；local为本窗口提及该词的文本数")
    url: str = ""
    excerpt: str = ""
    previous_count: int | None = Field(None, description="local：上一窗口提及该词的文本数")
    growth: float | None = Field(None, description="local：相对上一窗口的增长率")


class HotTopicsResp(BaseModel):
    platform: Platform
    collected_at: str
    cached: bool = Field(description="true：来自缓存时间内已保存的采集")
    topics: list[HotTopic]


class SearchReq(RequestModel):
    keyword: str = Field(min_length=1, max_length=50, examples=["人工智能"])
    platforms: list[Platform] = Field(default_factory=lambda: list(Platform), min_length=1, max_length=4)
    date_range: str = Field("last_7_days", examples=["last_7_days"])

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("关键词不能为空")
        return value.strip()

    @field_validator("date_range")
    @classmethod
    def _range(cls, value: str) -> str:
        return _date_range(value)


class VolumePoint(BaseModel):
    date: str
    count: int
    by_platform: dict[str, int]


class RelatedTerm(BaseModel):
    term: str
    count: int


class MatchedTopic(BaseModel):
    platform: str
    title: str
    heat: int | None
    last_seen: str


class SearchResp(BaseModel):
    keyword: str
    platforms: list[Platform]
    date_range: str
    start: str
    end: str
    total_mentions: int
    volume: list[VolumePoint]
    related_terms: list[RelatedTerm]
    topics: list[MatchedTopic]


class SentimentReq(RequestModel):
    text: str = Field(min_length=1, max_length=5000, examples=["这个产品非常好用"])

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("文本不能为空")
        return value


class SentimentResp(BaseModel):
    sentiment: Literal["positive", "negative", "neutral"]
    score: float = Field(ge=0, le=1, description="正面程度，0（负面）到1（正面）")
    confidence: float = Field(ge=0, le=1)
    language: Literal["zh", "en"]
    method: Literal["offline", "llm"]


class ReportReq(RequestModel):
    topic: str = Field(min_length=1, max_length=50, examples=["人工智能"])
    date_range: str = Field("last_30_days", examples=["last_30_days"])
    include_charts: bool = True
    platforms: list[Platform] = Field(default_factory=lambda: list(Platform), min_length=1, max_length=4)

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("主题不能为空")
        return value.strip()

    @field_validator("date_range")
    @classmethod
    def _range(cls, value: str) -> str:
        return _date_range(value)


class ReportChart(BaseModel):
    name: str
    title: str
    url: str = Field(description="相对本系统地址的下载路径")


class ReportResp(BaseModel):
    report_id: str
    topic: str
    date_range: str
    created_at: str
    summary: dict
    markdown: str
    charts: list[ReportChart]
    downloads: dict[str, str] = Field(description="markdown、pdf的下载路径（相对本系统地址）")


class ReportDownloadQuery(RequestModel):
    format: Literal["markdown", "pdf"] = "pdf"
