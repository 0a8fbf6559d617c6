"""The `cos` object storage backend, run through the real COS SDK against a local fake bucket."""

import io
import re
import time
import uuid
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from config.settings import ObjectStorageSettings
from internal.extension.storage import ObjectNotFoundError, StorageError, create_object_storage
from internal.extension.storage.cos_storage import CosStorage
from internal.server import create_app
from internal.service.upload_file_service import UploadFileService
from test.conftest import create_member, make_settings
from test.fakes.cos import FakeCos

SECRET_ID = "AKIDtestsecretid"
SECRET_KEY = "test-secret-key"
REGION = "ap-guangzhou"
BUCKET = "llmops-1250000000"
BUCKET_HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32


@pytest.fixture(scope="module")
def fake_cos():
    server = FakeCos(SECRET_ID, SECRET_KEY, REGION).start()
    yield server
    server.stop()


def cos_settings(fake_cos: FakeCos, **overrides) -> ObjectStorageSettings:
    values = {
        "storage_backend": "cos",
        "cos_secret_id": SECRET_ID,
        "cos_secret_key": SECRET_KEY,
        "cos_region": REGION,
        "cos_bucket": BUCKET,
        "cos_scheme": "http",
        "cos_domain": "cdn.example.com",
        "cos_endpoint_override": fake_cos.url.removeprefix("http://"),
        "cos_timeout": 5,
    }
    values.update(overrides)
    return ObjectStorageSettings(_env_file=None, **values)


@pytest.fixture
def storage(fake_cos, tmp_path) -> CosStorage:
    return create_object_storage(make_settings(tmp_path, object_storage=cos_settings(fake_cos)))


def new_key(extension=".md") -> str:
    return f"2024/05/14/{uuid.uuid4()}{extension}"


def test_factory_picks_the_cos_backend(storage):
    assert isinstance(storage, CosStorage)


def test_save_sends_a_signed_put_to_the_bucket_domain(storage, fake_cos):
    key = new_key()
    storage.save(key, "# 标题".encode(), "text/markdown")

    put = fake_cos.object_requests("PUT")[-1]
    assert put.path == f"/{key}"
    assert put.headers["host"] == BUCKET_HOST
    assert put.headers["authorization"].startswith(f"q-sign-algorithm=sha1&q-ak={SECRET_ID}&")
    assert "q-signature=" in put.headers["authorization"]
    assert put.headers["content-type"] == "text/markdown"
    assert put.body == "# 标题".encode()
    assert fake_cos.objects[(BUCKET, key)].data == "# 标题".encode()


def test_load_exists_and_delete_round_trip(storage, fake_cos):
    key = new_key(".png")
    storage.save(key, io.BytesIO(PNG), "image/png")
    assert storage.exists(key) is True
    assert storage.load(key) == PNG
    assert fake_cos.object_requests("HEAD")[-1].path == f"/{key}"

    storage.delete(key)
    assert (BUCKET, key) not in fake_cos.objects
    assert fake_cos.object_requests("DELETE")[-1].headers["host"] == BUCKET_HOST
    assert storage.exists(key) is False
    with pytest.raises(ObjectNotFoundError):
        storage.load(key)
    storage.delete(key)  # deleting again is not an error


def test_a_wrong_secret_is_refused_by_cos_and_reported(fake_cos, tmp_path):
    wrong = create_object_storage(make_settings(tmp_path, object_storage=cos_settings(fake_cos, cos_secret_key="wrong")))
    key = new_key()
    with pytest.raises(StorageError, match="SignatureDoesNotMatch"):
        wrong.save(key, b"data", "text/plain")
    assert (BUCKET, key) not in fake_cos.objects


def test_public_url_uses_the_public_domain_or_else_the_bucket_address(fake_cos, tmp_path, storage):
    key = new_key(".png")
    assert storage.public_url(key) == f"http://cdn.example.com/{key}"

    with_scheme = create_object_storage(make_settings(tmp_path, object_storage=cos_settings(fake_cos, cos_domain="https://img.example.com/")))
    assert with_scheme.public_url(key) == f"https://img.example.com/{key}"

    direct = create_object_storage(
        make_settings(tmp_path, object_storage=cos_settings(fake_cos, cos_domain="", cos_endpoint_override=""))
    )
    assert direct.public_url(key) == f"http://{BUCKET_HOST}/{key}"


def test_missing_settings_fail_at_start_naming_them(tmp_path):
    settings = make_settings(tmp_path, object_storage=ObjectStorageSettings(_env_file=None, storage_backend="cos", cos_region=REGION))
    with pytest.raises(RuntimeError, match="COS_SECRET_ID, COS_SECRET_KEY, COS_BUCKET"):
        create_object_storage(settings)


@pytest.fixture(scope="module")
def cos_app(fake_cos, tmp_path_factory):
    return create_app(make_settings(tmp_path_factory.mktemp("cos"), object_storage=cos_settings(fake_cos)))


def test_uploads_through_the_api_land_in_the_bucket(cos_app, fake_cos):
    client = cos_app.test_client()
    member = create_member(cos_app, client)

    resp = client.post(
        "/upload-files/file",
        data={"file": (io.BytesIO("知识库内容".encode()), "笔记.md")},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.json
    upload = resp.json["data"]
    stored = fake_cos.objects[(BUCKET, upload["key"])]
    assert stored.data == "知识库内容".encode() and stored.content_type == "text/markdown"

    with cos_app.app_context():
        service = cos_app.extensions["injector"].get(UploadFileService)
        assert service.load_content(member.id, uuid.UUID(upload["id"])) == "知识库内容".encode()

    image = client.post(
        "/upload-files/image",
        data={"file": (io.BytesIO(PNG), "avatar.png")},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    image_url = image.json["data"]["image_url"]
    assert image_url.startswith("http://cdn.example.com/") and image_url.endswith(".png")
    image_key = image_url.removeprefix("http://cdn.example.com/")
    assert fake_cos.objects[(BUCKET, image_key)] == type(stored)(PNG, "image/png")

    served = client.get(f"/upload-files/{image_key}")
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"


def _fetch_presigned(fake_cos: FakeCos, url: str) -> httpx.Response:
    """GET a presigned URL as a browser would, with no credentials of its own; the request goes
    to the fake, naming the bucket's domain as COS's own endpoint would see it."""
    parts = urlsplit(url)
    return httpx.get(f"{fake_cos.url}{parts.path}?{parts.query}", headers={"Host": BUCKET_HOST})


def test_a_presigned_url_reads_the_object_until_it_expires(storage, fake_cos):
    key = new_key()
    storage.save(key, b"presigned words", "text/markdown", private=True)
    assert fake_cos.objects[(BUCKET, key)].acl == "private"

    url = storage.presigned_url(key, 2)
    assert "q-signature=" in url
    resp = _fetch_presigned(fake_cos, url)
    assert resp.status_code == 200 and resp.content == b"presigned words"

    tampered = re.sub(r"q-signature=[0-9a-f]{4}", "q-signature=0000", url)
    assert _fetch_presigned(fake_cos, tampered).status_code == 403
    other_key = new_key()
    storage.save(other_key, b"other", "text/markdown", private=True)
    assert _fetch_presigned(fake_cos, url.replace(key, other_key)).status_code == 403

    end = int(parse_qs(urlsplit(url).query)["q-sign-time"][0].split(";")[1])
    time.sleep(max(0.0, end + 1 - time.time()) + 0.05)
    assert _fetch_presigned(fake_cos, url).status_code == 403


def test_documents_are_private_in_the_bucket_and_shared_through_presigned_urls(cos_app, fake_cos):
    client = cos_app.test_client()
    member = create_member(cos_app, client)
    resp = client.post(
        "/upload-files/file",
        data={"file": (io.BytesIO(b"bucket secret"), "secret.md")},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    upload = resp.json["data"]
    assert fake_cos.objects[(BUCKET, upload["key"])].acl == "private"
    image = client.post(
        "/upload-files/image",
        data={"file": (io.BytesIO(PNG), "logo.png")},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    image_key = image.json["data"]["image_url"].removeprefix("http://cdn.example.com/")
    assert fake_cos.objects[(BUCKET, image_key)].acl == ""  # public like the bucket

    link = client.get(f"/upload-files/{upload['id']}/signed-url", headers=member.headers).json["data"]
    assert quote(upload["key"]) in link["url"] and "q-signature=" in link["url"]
    assert link["expire_at"] > time.time()
    fetched = _fetch_presigned(fake_cos, link["url"])
    assert fetched.status_code == 200 and fetched.content == b"bucket secret"
