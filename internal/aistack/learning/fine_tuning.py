"""Submitting a data set to a provider's OpenAI-compatible fine-tuning API: the JSONL uploaded
to /files (purpose fine-tune), then a job created at /fine_tuning/jobs."""

from dataclasses import dataclass

import httpx
from injector import inject

from config import Settings
from internal.aistack.gateway.errors import ServiceUnavailableException
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import CustomException

PROVIDER_SETTING = "AISTACK_LEARNING_FINETUNE_PROVIDER"


class FineTuningError(Exception):
    """The provider refused or could not be reached; the message says which and why."""


@dataclass
class FineTuningEndpoint:
    provider: str
    api_base: str
    api_key: str


@inject
@dataclass
class FineTuningClient:
    settings: Settings
    model_factory: LanguageModelFactory

    def endpoint(self) -> FineTuningEndpoint | None:
        """The configured provider's address and key; None when none is configured, 503 when the
        configured one is unknown or has no key."""
        name = self.settings.aistack_learning.aistack_learning_finetune_provider
        if not name:
            return None
        provider = self.model_factory.catalog.get_provider(name)
        if provider is None:
            raise ServiceUnavailableException(f"微调服务不可用（{PROVIDER_SETTING}）：模型提供商{name}不存在")
        try:
            api_base, api_key = self.model_factory.credentials(provider)
        except CustomException as exc:
            raise ServiceUnavailableException(f"微调服务不可用（{PROVIDER_SETTING}）：{exc.message}") from None
        return FineTuningEndpoint(name, api_base.rstrip("/"), api_key)

    def submit(self, endpoint: FineTuningEndpoint, jsonl: str, filename: str, suffix: str) -> dict:
        """The created job as recorded on the retraining: provider, file and job ids, status."""
        model = self.settings.aistack_learning.aistack_learning_finetune_model
        headers = {"Authorization": f"Bearer {endpoint.api_key}"}
        timeout = self.settings.providers.llm_request_timeout
        try:
            with httpx.Client(timeout=timeout, headers=headers) as http:
                uploaded = _json(
                    http.post(
                        f"{endpoint.api_base}/files",
                        data={"purpose": "fine-tune"},
                        files={"file": (filename, jsonl.encode(), "application/jsonl")},
                    ),
                    "上传训练文件",
                )
                job = _json(
                    http.post(
                        f"{endpoint.api_base}/fine_tuning/jobs",
                        json={"training_file": uploaded["id"], "model": model, "suffix": suffix},
                    ),
                    "创建微调任务",
                )
        except httpx.HTTPError as exc:
            raise FineTuningError(f"微调服务无法访问：{type(exc).__name__}") from None
        return {
            "provider": endpoint.provider,
            "model": model,
            "file_id": uploaded["id"],
            "job_id": job["id"],
            "status": job.get("status", ""),
        }


def _json(response: httpx.Response, step: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict) or "id" not in body:
        message = ""
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            message = str(body["error"].get("message", ""))
        raise FineTuningError(f"{step}失败（HTTP {response.status_code}）：{message}"[:1000])
    return body
