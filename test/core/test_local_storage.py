"""The `local` object storage backend: files under one folder, never outside it."""

import pytest

from internal.extension.storage import InvalidKeyError, ObjectNotFoundError, create_object_storage
from internal.extension.storage.local_storage import LocalStorage
from test.conftest import make_settings


@pytest.fixture
def storage(tmp_path) -> LocalStorage:
    return create_object_storage(make_settings(tmp_path))


def test_factory_defaults_to_a_folder_under_the_storage_dir(storage, tmp_path):
    assert isinstance(storage, LocalStorage)
    storage.save("2024/05/14/a.txt", b"hello", "text/plain")
    assert (tmp_path / "uploads" / "2024/05/14/a.txt").read_bytes() == b"hello"


def test_round_trip(storage):
    key = "2024/05/14/b.png"
    assert storage.exists(key) is False
    storage.save(key, b"\x89PNG", "image/png")
    assert storage.exists(key) and storage.load(key) == b"\x89PNG"
    storage.delete(key)
    assert storage.exists(key) is False
    with pytest.raises(ObjectNotFoundError):
        storage.load(key)
    storage.delete(key)


@pytest.mark.parametrize(
    "key",
    ["", "../jwt_secret_key", "2024/../../x", "/etc/passwd", "a//b", "a/./b", "a\\..\\b", "a\x00b", "x" * 513],
)
def test_keys_that_could_leave_the_folder_are_refused(storage, key):
    for operation in (storage.load, storage.exists, storage.delete):
        with pytest.raises(InvalidKeyError):
            operation(key)
    with pytest.raises(InvalidKeyError):
        storage.save(key, b"x", "text/plain")


def test_a_symlink_inside_the_folder_cannot_lead_out(storage, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "uploads" / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidKeyError):
        storage.load("link/secret.txt")


def test_public_url_uses_the_configured_base_url(tmp_path):
    storage = LocalStorage(tmp_path, "https://api.example.com/")
    assert storage.public_url("2024/05/14/c.png") == "https://api.example.com/upload-files/2024/05/14/c.png"
    assert LocalStorage(tmp_path).public_url("2024/05/14/c.png") == "/upload-files/2024/05/14/c.png"
