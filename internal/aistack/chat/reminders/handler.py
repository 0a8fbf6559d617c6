"""Handlers of the chat center's reminder routes and the account's reminder webhook."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, iso, success

from .schemas import (
    REMINDER_LIST,
    CreateReminderReq,
    DeletedReminderResp,
    PutWebhookReq,
    ReminderResp,
    WebhookResp,
)
from .service import ReminderService
from .webhook_service import ReminderWebhookService

TAGS = ("提醒",)


def _webhook(webhook) -> WebhookResp:
    if webhook is None:
        return WebhookResp(url=None, has_secret=False, updated_at=None)
    return WebhookResp(url=webhook.url, has_secret=bool(webhook.secret_sealed), updated_at=iso(webhook.updated_at))


@inject
@dataclass
class ReminderHandler:
    reminder_service: ReminderService
    webhook_service: ReminderWebhookService

    @aistack_endpoint("chat", body=CreateReminderReq, resp=ReminderResp, status=201, tags=TAGS)
    def create_reminder(self, body: CreateReminderReq):
        """创建提醒：到remind_at时触发"""
        return created(ReminderResp.of(self.reminder_service.create(current_account_id(), body)))

    @aistack_endpoint("chat", listing=REMINDER_LIST, resp=ReminderResp, tags=TAGS)
    def list_reminders(self, query):
        """提醒列表"""
        rows, pagination = self.reminder_service.list_reminders(current_account_id(), query)
        return success([ReminderResp.of(row) for row in rows], pagination=pagination)

    @aistack_endpoint("chat", resp=ReminderResp, tags=TAGS)
    def get_reminder(self, reminder_id: uuid.UUID):
        """提醒详情"""
        return success(ReminderResp.of(self.reminder_service.get(current_account_id(), reminder_id)))

    @aistack_endpoint("chat", resp=DeletedReminderResp, tags=TAGS)
    def delete_reminder(self, reminder_id: uuid.UUID):
        """删除提醒：未触发的提醒被取消，不再触发"""
        self.reminder_service.delete(current_account_id(), reminder_id)
        return success(DeletedReminderResp(reminder_id=str(reminder_id)))

    @aistack_endpoint("chat", resp=WebhookResp, tags=TAGS)
    def get_webhook(self):
        """提醒Webhook配置"""
        return success(_webhook(self.webhook_service.get(current_account_id())))

    @aistack_endpoint("chat", body=PutWebhookReq, resp=WebhookResp, tags=TAGS)
    def put_webhook(self, body: PutWebhookReq):
        """设置提醒Webhook：提醒触发时POST到该地址"""
        return success(_webhook(self.webhook_service.put(current_account_id(), body)))

    @aistack_endpoint("chat", resp=WebhookResp, tags=TAGS)
    def delete_webhook(self):
        """删除提醒Webhook"""
        self.webhook_service.delete(current_account_id())
        return success(_webhook(None))
