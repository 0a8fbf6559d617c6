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


def load_icon(folder: Path, file_name: str, error: type[Exception], where: Path | str) -> Icon:
    """The icon `file_name` of `folder`; one of another type, outside the folder or missing
    raises `error` naming `where` (the file that declares the icon)."""
    path = folder / file_name
    mimetype = ICON_MIMETYPES.get(path.suffix.lower())
    if mimetype is None or not path.is_file() or path.parent != folder:
        raise error(f"{where}: icon {file_name} must be an svg/png/jpeg file in {folder}")
    return Icon(content=path.read_bytes(), mimetype=mimetype)


def read_yaml(path: Path, error: type[Exception]) -> Any:
    """The parsed file; an unreadable or malformed one raises `error` naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: {exc}") from exc
