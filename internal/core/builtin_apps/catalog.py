"""Reads the app square once: `categories.yaml`, `templates/<id>.yaml` and their icons in `icons/`.

Adding a template means adding a YAML file named after its id and an icon. This loader checks
the files' structure; the configurations are checked against the model and tool catalogs by
BuiltinAppService.check_templates when the application starts.
"""

import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from pkg.catalog_files import Icon, load_icon, read_yaml

from internal.core.app_config import CONFIG_FIELDS

from .entities import BuiltinAppCategory, BuiltinAppEntity

PACKAGE_DIR = Path(__file__).resolve().parent
CATEGORIES_FILE = PACKAGE_DIR / "categories.yaml"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
ICONS_DIR = PACKAGE_DIR / "icons"


class BuiltinAppCatalogError(RuntimeError):
    pass



@dataclass(frozen=True)
class BuiltinApp:
    entity: BuiltinAppEntity
    icon: Icon
    source: Path


def _load_categories(path: Path) -> list[BuiltinAppCategory]:
    try:
        categories = [BuiltinAppCategory.model_validate(raw) for raw in read_yaml(path, BuiltinAppCatalogError) or []]
    except ValidationError as exc:
        raise BuiltinAppCatalogError(f"{path}: {exc}") from exc
    keys = [category.category for category in categories]
    if len(set(keys)) != len(keys):
        raise BuiltinAppCatalogError(f"{path}: a category is declared twice")
    return categories


def _load_template(path: Path, category_keys: set[str]) -> BuiltinApp:
    try:
        entity = BuiltinAppEntity.model_validate(read_yaml(path, BuiltinAppCatalogError))
    except ValidationError as exc:
        raise BuiltinAppCatalogError(f"{path}: {exc}") from exc
    if path.stem != str(entity.id):
        raise BuiltinAppCatalogError(f"{path}: the file must be named after the template id {entity.id}")
    if entity.category not in category_keys:
        raise BuiltinAppCatalogError(f"{path}: unknown category {entity.category}")
    missing = [name for name in CONFIG_FIELDS if name not in entity.config]
    if missing:
        raise BuiltinAppCatalogError(f"{path}: config is missing {', '.join(missing)}")
    return BuiltinApp(entity=entity, icon=load_icon(ICONS_DIR, entity.icon, BuiltinAppCatalogError, path), source=path)


class BuiltinAppCatalog:
    """Every category and template, loaded once and read-only afterwards."""

    def __init__(self, categories: list[BuiltinAppCategory], apps: list[BuiltinApp]):
        self.categories = categories
        self._apps = {app.entity.id: app for app in apps}

    @classmethod
    def load(cls, categories_file: Path = CATEGORIES_FILE, templates_dir: Path = TEMPLATES_DIR) -> "BuiltinAppCatalog":
        categories = _load_categories(categories_file)
        category_keys = {category.category for category in categories}
        apps = [_load_template(path, category_keys) for path in sorted(templates_dir.glob("*.yaml"))]
        # Display order: category order, then newest first, then name.
        position = {key: index for index, key in enumerate(category.category for category in categories)}
        apps.sort(key=lambda app: (position[app.entity.category], -app.entity.created_at, app.entity.name))
        return cls(categories, apps)

    @property
    def apps(self) -> list[BuiltinApp]:
        return list(self._apps.values())

    def get(self, app_id: uuid.UUID) -> BuiltinApp | None:
        return self._apps.get(app_id)
