import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from flask import has_request_context, request

from .base import InvalidKeyError, ObjectNotFoundError, ObjectStorage, check_key

# The API serves local objects back at this path (see the router's upload files section).
SERVE_PATH = "/upload-files/"


class LocalStorage(ObjectStorage):
    """Objects as files under one folder, for the embedded profile and single-server setups."""

    def __init__(self, root: Path, public_base_url: str = ""):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()
        self.public_base_url = public_base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        # resolve() follows symlinks, so a link inside the folder cannot lead out of it either.
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKeyError(f"invalid object key: {key!r}")
        return path

    def save(self, key, data, content_type, private=False):  # served by the API, which checks access
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename, so a reader never sees half a file.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                if isinstance(data, bytes):
                    tmp.write(data)
                else:
                    shutil.copyfileobj(data, tmp)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def load(self, key):
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectNotFoundError(key) from None

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)

    def exists(self, key):
        return self._path(key).is_file()

    def public_url(self, key):
        base = self.public_base_url
        if not base and has_request_context():
            base = request.host_url.rstrip("/")
        return f"{base}{SERVE_PATH}{quote(check_key(key))}"
