"""The language model catalog (llmops-api.md §12.1-12.3): providers with their models, one
model's details, and a provider's icon (public, so an `<img>` can load it)."""

from dataclasses import dataclass

from flask import url_for
from injector import inject

from internal.middleware import AuthKind
from internal.schema.language_model import ModelResp, ProviderResp
from internal.service.language_model_service import LanguageModelService
from pkg.response import icon_response, success_json

from .endpoint import endpoint


@inject
@dataclass
class LanguageModelHandler:
    language_model_service: LanguageModelService

    @endpoint(resp=list[ProviderResp], tags=("language-models",))
    def get_language_models(self):
        """Every model provider, by position, with all its models."""
        providers = [
            {
                **provider.model_dump(mode="json", include=set(ProviderResp.model_fields) - {"icon", "models"}),
                "icon": url_for("llmops.get_language_model_icon", provider_name=provider.name, _external=True),
                "models": [ModelResp.render(model) for model in provider.models],
            }
            for provider in self.language_model_service.get_providers()
        ]
        return success_json(providers)

    @endpoint(resp=ModelResp, tags=("language-models",))
    def get_language_model(self, provider_name: str, model_name: str):
        """One model of a provider, with its parameters."""
        return success_json(ModelResp.render(self.language_model_service.get_model(provider_name, model_name)))

    @endpoint(auth=AuthKind.NONE, raw_response="image/*", tags=("language-models",))
    def get_language_model_icon(self, provider_name: str):
        """The provider's icon as raw SVG or PNG; public, since <img> tags send no token."""
        icon = self.language_model_service.get_provider_icon(provider_name)
        return icon_response(icon.content, icon.mimetype)
