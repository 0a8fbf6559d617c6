"""What the content creation routes take and answer (aistack-api.md "内容创作系统")."""

import uuid
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, Field

from internal.aistack.chat.reminders.schemas import UtcInstant
from internal.aistack.gateway.envelope import IsoTime, RowResp
from internal.aistack.gateway.listing import ListSpec
from internal.schema.common import HttpUrlStr, RequestModel, text, trimmed

from .models import ContentPublication
from .profiles import LENGTHS, platform_names

MAX_CONTENT_CHARS = 20000
MAX_IMAGES = 9

# The platforms of the catalog (platforms.yaml); publishing adds the generic webhook.
Platform = Enum("Platform", {name: name for name in platform_names()}, type=str)
PublishPlatform = Enum("PublishPlatform", {name: name for name in [*platform_names(), "webhook"]}, type=str)
Length = Enum("Length", {name: name for name in LENGTHS}, type=str)


class Style(str, Enum):
    PROFESSIONAL = "professional"
    CASUAL = "casual"
    HUMOROUS = "humorous"
    EMOTIONAL = "emotional"
    EDUCATIONAL = "educational"
    STORYTELLING = "storytelling"


class GenerateReq(RequestModel):
    topic: trimmed(200, min_length=1) = Field(examples=["人工智能的未来"])
    style: Style = Field(Style.PROFESSIONAL, description="professional | casual | humorous | emotional | educational | storytelling")
    length: Length = Field(Length("medium"), description="short | medium | long：正文的目标长度随平台而定（见 GET /api/content/platforms）")
    platform: Platform = Field(examples=["xiaohongshu"], description="xiaohongshu | weibo | zhihu | wechat（公众号文章）")


class OptimizeReq(RequestModel):
    content: text(MAX_CONTENT_CHARS) = Field(examples=["原始内容"])
    platform: Platform = Field(examples=["xiaohongshu"])
    target_audience: trimmed(100) = Field("", examples=["年轻人"])


class ProfileCheck(BaseModel):
    """How the draft fared against the platform's profile."""

    passed: bool = Field(description="The text returned meets every rule of the platform")
    regenerated: bool = Field(description="The model's first draft broke a rule and was written again")
    adjustments: list[str] = Field(description="What was cut to fit (titles, bodies, tags over the limits)")
    violations: list[str] = Field(description="Rules the returned text still breaks (a body or tag list too short)")


class GeneratedContent(BaseModel):
    platform: str
    title: str
    content: str = Field(description="The body")
    tags: list[str]
    full_text: str = Field(description="Title, body and tags written the platform's way, ready to publish")
    char_count: int = Field(description="Characters of the body")
    check: ProfileCheck


class GenerateResp(GeneratedContent):
    topic: str
    style: str
    length: str


class OptimizeResp(GeneratedContent):
    target_audience: str
    original_content: str
    changes: list[str] = Field(description="What the optimization changed, then what the profile check cut")


class PlatformResp(BaseModel):
    platform: str
    label: str
    title_required: bool
    title_max_chars: int
    body_min_chars: int
    body_max_chars: int
    tags_min: int
    tags_max: int
    tag_format: str
    lengths: dict[str, int]
    hints: list[str]


class PublishReq(RequestModel):
    content: text(MAX_CONTENT_CHARS) = Field(examples=["发布内容"])
    platform: PublishPlatform = Field(
        examples=["weibo"],
        description="wechat：通过 app_id 所指应用（或账号唯一配置了公众号的应用）的微信公众号发布（草稿+发布接口）；"
        "webhook 及其他平台：POST 到 webhook_url",
    )
    images: Annotated[list[HttpUrlStr], Field(max_length=MAX_IMAGES)] = Field(default_factory=list, examples=[["https://example.com/1.png"]])
    scheduled_time: UtcInstant | None = Field(None, description="ISO 8601；不填或已过去则尽快发布；不带时区时按UTC理解")
    title: trimmed(200) = Field("", description="标题；不填时取正文第一行")
    app_id: uuid.UUID | None = Field(None, description="platform=wechat：配置了微信公众号的已发布应用")
    webhook_url: HttpUrlStr | None = Field(None, description="platform≠wechat：接收发布内容的地址")
    thumb_media_id: trimmed(128) = Field("", description="platform=wechat 必填：封面图的永久素材media_id")


class PublicationResp(RowResp):
    publication_id: uuid.UUID = Field(validation_alias="id")
    platform: str
    channel: str = Field(description="wechat | webhook")
    title: str
    content: str
    images: list[str]
    app_id: uuid.UUID | None
    webhook_url: str | None
    status: str = Field(examples=["scheduled"], description="scheduled | publishing | published | failed | cancelled")
    reason: str = Field(description="Why it failed (or was cancelled); empty otherwise")
    scheduled_time: IsoTime = Field(examples=["2025-11-08T10:00:00Z"])
    published_at: IsoTime | None
    cancelled_at: IsoTime | None
    external_id: str = Field(description="The platform's id of the publication (WeChat's publish_id)")
    engagement: dict[str, int] = Field(description="Figures the platform reported (views, likes, comments, shares)")
    attempts: int
    created_at: IsoTime


class PublicationStatusFilter(str, Enum):
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


PUBLICATION_LIST = ListSpec(
    name="ContentPublication",
    sort={"scheduled_time": ContentPublication.scheduled_time, "created_at": ContentPublication.created_at},
    default_sort="created_at",
    filters={
        "status": (ContentPublication.status, PublicationStatusFilter),
        "platform": (ContentPublication.platform, PublishPlatform),
    },
    date_column=ContentPublication.created_at,
)


class Period(str, Enum):
    TODAY = "today"
    LAST_24_HOURS = "last_24_hours"
    LAST_7_DAYS = "last_7_days"
    LAST_30_DAYS = "last_30_days"
    LAST_90_DAYS = "last_90_days"
    ALL = "all"


class AnalyticsQuery(RequestModel):
    period: Period = Field(Period.LAST_7_DAYS, description="today | last_24_hours | last_7_days | last_30_days | last_90_days | all")


class PlatformFigures(BaseModel):
    platform: str
    total: int
    by_status: dict[str, int]
    engagement: dict[str, int]


class AnalyticsResp(BaseModel):
    period: str
    start: str | None = Field(description="Publications created from this time on are counted (None: all)")
    end: str
    total: int
    by_status: dict[str, int] = Field(description="Every status, zero included")
    success_rate: float | None = Field(description="published / (published + failed); None before any ran")
    by_platform: list[PlatformFigures]
    engagement: dict[str, int] = Field(description="Sums of what the platforms reported")
