"""What the reminder routes take and answer. Times are ISO 8601; one without a zone is UTC."""

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from internal.aistack.gateway.envelope import IsoTime, RowResp, iso
from internal.aistack.gateway.listing import ListSpec, Order
from internal.schema.common import Documented, HttpUrlStr, RequestModel, trimmed

from .models import DeliveryStatus, Reminder


def _utc_instant(value: Any) -> datetime:
    """An ISO 8601 date and time; without a zone it is UTC (the document writes times in UTC)."""
    if not isinstance(value, str):
        raise ValueError("必须是ISO 8601格式的日期时间字符串")
    text = value.strip()
    try:
        # A bare date would silently mean midnight: a reminder needs its time spelled out.
        if len(text) <= 10:
            raise ValueError
        parsed = datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError("必须是ISO 8601格式的日期时间，例如2025-11-07T10:30:00Z") from None


UtcInstant = Annotated[datetime, BeforeValidator(_utc_instant), Documented(type="string", format="date-time")]


class CreateReminderReq(RequestModel):
    title: trimmed(200, min_length=1)
    content: Annotated[str, Field(max_length=2000)] = ""
    remind_at: UtcInstant = Field(description="ISO 8601，必须晚于当前时间；不带时区时按UTC理解")
    session_id: trimmed(255, min_length=1) | None = Field(
        None, description="在这个会话的下一次回复中展示；不填则在该账号任一会话的下一次回复中展示"
    )
    webhook_url: HttpUrlStr | None = Field(None, description="触发时推送到这个地址，代替账号的Webhook")


class ReminderStatusFilter(str, Enum):
    PENDING = "pending"
    FIRED = "fired"


REMINDER_LIST = ListSpec(
    "Reminder",
    sort={"remind_at": Reminder.remind_at, "created_at": Reminder.created_at},
    default_sort="remind_at",
    default_order=Order.ASC,
    filters={"status": (Reminder.status, ReminderStatusFilter), "session_id": (Reminder.session_id, str)},
    date_column=Reminder.remind_at,
)


class DeliveryResp(BaseModel):
    status: str = Field(examples=["delivered"], description="none | pending | delivered | failed")
    attempts: int
    last_error: str
    next_attempt_at: str | None
    delivered_at: str | None


class ReminderResp(RowResp):
    reminder_id: str
    title: str
    content: str
    remind_at: IsoTime = Field(examples=["2025-11-07T10:30:00Z"])
    status: str = Field(examples=["pending"], description="pending | fired")
    session_id: str | None
    webhook_url: str | None
    created_at: IsoTime
    fired_at: IsoTime | None
    shown_at: IsoTime | None
    delivery: DeliveryResp

    @classmethod
    def of(cls, reminder: Reminder) -> "ReminderResp":
        return super().of(
            reminder,
            reminder_id=str(reminder.id),
            delivery=DeliveryResp(
                status=reminder.delivery_status,
                attempts=reminder.delivery_attempts,
                last_error=reminder.delivery_last_error,
                next_attempt_at=iso(reminder.next_delivery_at) if reminder.delivery_status == DeliveryStatus.PENDING else None,
                delivered_at=iso(reminder.delivered_at),
            ),
        )


class DeletedReminderResp(BaseModel):
    reminder_id: str
    deleted: bool = True


class PutWebhookReq(RequestModel):
    url: HttpUrlStr
    secret: trimmed(256, min_length=1) | None = Field(None, description="设置后，每次推送带X-AIStack-Signature签名头")


class WebhookResp(BaseModel):
    url: str | None = Field(description="未配置时为null")
    has_secret: bool
    updated_at: str | None
