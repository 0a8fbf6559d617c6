"""Reads the model catalog once: every folder under `providers/` is a provider.

A provider folder holds `provider.yaml`, an icon and `models/<model>.yaml`, one file per model,
so adding a model or a provider means adding files. Parameters usually name a shared template
from `parameter_templates.yaml` (`use: temperature`) and override only what differs.
"""

from pathlib import Path

from pydantic import ValidationError

from pkg.catalog_files import Icon, load_icon, read_yaml

from .entities import ModelEntity, ProviderEntity

PROVIDERS_DIR = Path(__file__).resolve().parent / "providers"
TEMPLATES_FILE = PROVIDERS_DIR / "parameter_templates.yaml"
# Provider icons are svg or png only.
PROVIDER_ICON_SUFFIXES = (".svg", ".png")


class LanguageModelCatalogError(RuntimeError):
    pass



def _expand_parameters(raw: list[dict], templates: dict[str, dict], source: Path) -> list[dict]:
    expanded = []
    for item in raw or []:
        item = dict(item)
        template_name = item.pop("use", None)
        if template_name is not None:
            if template_name not in templates:
                raise LanguageModelCatalogError(f"{source}: unknown parameter template {template_name!r}")
            item = {"name": template_name, **templates[template_name], **item}
        expanded.append(item)
    return expanded


def _load_provider(folder: Path, templates: dict[str, dict]) -> tuple[ProviderEntity, Icon]:
    data = read_yaml(folder / "provider.yaml", LanguageModelCatalogError) or {}
    models = []
    for model_file in sorted((folder / "models").glob("*.yaml")):
        model_data = read_yaml(model_file, LanguageModelCatalogError) or {}
        model_data["parameters"] = _expand_parameters(model_data.get("parameters"), templates, model_file)
        try:
            models.append(ModelEntity.model_validate(model_data))
        except ValidationError as exc:
            raise LanguageModelCatalogError(f"{model_file}: {exc}") from exc
    try:
        provider = ProviderEntity.model_validate({**data, "models": models})
    except ValidationError as exc:
        raise LanguageModelCatalogError(f"{folder / 'provider.yaml'}: {exc}") from exc
    if provider.name != folder.name:
        raise LanguageModelCatalogError(f"{folder}: provider name {provider.name!r} must match its folder")

    icons = [p for p in folder.iterdir() if p.stem == "icon" and p.suffix in PROVIDER_ICON_SUFFIXES]
    if len(icons) != 1:
        raise LanguageModelCatalogError(f"{folder}: expected exactly one icon.svg or icon.png")
    return provider, load_icon(folder, icons[0].name, LanguageModelCatalogError, folder)


class LanguageModelCatalog:
    def __init__(self, providers: list[ProviderEntity], icons: dict[str, Icon]):
        self.providers = sorted(providers, key=lambda p: (p.position, p.name))
        self._by_name = {p.name: p for p in self.providers}
        self.icons = icons

    @classmethod
    def load(cls, providers_dir: Path = PROVIDERS_DIR) -> "LanguageModelCatalog":
        templates = read_yaml(providers_dir / TEMPLATES_FILE.name, LanguageModelCatalogError) or {}
        providers, icons = [], {}
        for folder in sorted(p for p in providers_dir.iterdir() if p.is_dir() and (p / "provider.yaml").exists()):
            provider, icon = _load_provider(folder, templates)
            providers.append(provider)
            icons[provider.name] = icon
        return cls(providers, icons)

    def get_provider(self, name: str) -> ProviderEntity | None:
        return self._by_name.get(name)

    def get_model(self, provider: str, model: str) -> ModelEntity | None:
        entity = self.get_provider(provider)
        return entity.get_model(model) if entity else None
