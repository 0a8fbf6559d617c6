"""The model catalog as the API shows it (llmops-api.md §12)."""

from dataclasses import dataclass

from injector import inject

from internal.core.language_model.catalog import LanguageModelCatalog
from internal.core.language_model.entities import ModelEntity, ProviderEntity
from internal.exception import NotFoundException
from pkg.catalog_files import Icon


@inject
@dataclass
class LanguageModelService:
    catalog: LanguageModelCatalog

    def get_providers(self) -> list[ProviderEntity]:
        return self.catalog.providers

    def get_model(self, provider_name: str, model_name: str) -> ModelEntity:
        model = self.catalog.get_model(provider_name, model_name)
        if model is None:
            raise NotFoundException(f"模型{provider_name}/{model_name}不存在")
        return model

    def get_provider_icon(self, provider_name: str) -> Icon:
        icon = self.catalog.icons.get(provider_name)
        if icon is None:
            raise NotFoundException(f"模型提供商{provider_name}不存在")
        return icon
