"""`(provider, model, parameters)` → a ready LangChain chat model, every value checked first."""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from injector import inject, singleton
from langchain_core.language_models import BaseChatModel

from config import Settings
from internal.exception import FailException, ValidateErrorException

from .catalog import LanguageModelCatalog
from .chat_models import CHAT_MODEL_CLASSES
from .entities import ModelEntity, ProviderEntity
from .parameters import ParameterError, resolve_parameters

# Chat models kept for reuse: building one creates its HTTP client objects, ~1 ms of CPU per
# request otherwise. A key is every value the model is built from, so a changed setting or
# parameter builds a new one.
BUILT_MODELS_KEPT = 256


@dataclass(frozen=True)
class ResolvedModel:
    provider: ProviderEntity
    model: ModelEntity
    parameters: dict[str, Any]


@singleton
@inject
@dataclass
class LanguageModelFactory:
    settings: Settings
    catalog: LanguageModelCatalog
    _built: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _built_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def resolve(self, provider: str, model: str, parameters: dict[str, Any] | None = None) -> ResolvedModel:
        """The catalog entries and checked parameters; errors name the `model_config` field."""
        provider_entity = self.catalog.get_provider(provider)
        if provider_entity is None:
            raise ValidateErrorException(f"model_config.provider: 模型提供商{provider}不存在")
        model_entity = provider_entity.get_model(model)
        if model_entity is None:
            raise ValidateErrorException(f"model_config.model: 模型提供商{provider}下不存在模型{model}")
        try:
            resolved = resolve_parameters(model_entity, parameters or {})
        except ParameterError as exc:
            raise ValidateErrorException(f"model_config.parameters.{exc.field}: {exc}") from None
        return ResolvedModel(provider_entity, model_entity, resolved)

    def credentials(self, provider: ProviderEntity) -> tuple[str, str]:
        """Base URL and key from <NAME>_API_BASE / <NAME>_API_KEY, the base defaulting to the catalog's."""
        providers = self.settings.providers
        api_base = getattr(providers, f"{provider.name}_api_base", "") or provider.default_api_base
        api_key = getattr(providers, f"{provider.name}_api_key", "")
        if not api_key:
            if provider.requires_api_key:
                raise FailException(f"模型提供商{provider.label}未配置API密钥，请设置{provider.name.upper()}_API_KEY")
            api_key = "not-needed"
        return api_base, api_key

    def create(self, provider: str, model: str, parameters: dict[str, Any] | None = None) -> BaseChatModel:
        return self.build(self.resolve(provider, model, parameters))

    def build(self, resolved: ResolvedModel, **overrides: Any) -> BaseChatModel:
        """The chat model for checked values; `overrides` replace client settings (e.g. `timeout`).
        Models are shared between requests and threads; LangChain chat models are safe for that."""
        api_base, api_key = self.credentials(resolved.provider)
        chat_model_class = CHAT_MODEL_CLASSES[resolved.provider.api_protocol]
        arguments = {
            "model": resolved.model.attributes.get("model", resolved.model.model),
            "base_url": api_base,
            "api_key": api_key,
            "stream_usage": True,
            "max_retries": self.settings.providers.llm_max_retries,
            "timeout": self.settings.providers.llm_request_timeout,
            **resolved.parameters,
            **overrides,
        }
        key = (chat_model_class, json.dumps(arguments, sort_keys=True, default=repr))
        with self._built_lock:
            chat_model = self._built.get(key)
            if chat_model is not None:
                self._built.move_to_end(key)
                return chat_model
        chat_model = chat_model_class(**arguments)
        with self._built_lock:
            self._built[key] = chat_model
            while len(self._built) > BUILT_MODELS_KEPT:
                self._built.popitem(last=False)
        return chat_model
