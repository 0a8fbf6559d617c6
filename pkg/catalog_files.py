"""Reading the YAML files and icons that declarative catalogs are made of."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ICON_MIMETYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class Icon:
    content: bytes
    mimetype: str


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The parsed file; an unreadable or malformed one raises `error` naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: {exc}") from exc
