"""llmops-api.md §3.1 document upload, §3.2 image upload, and the public links that serve uploads back."""

import hashlib
import io
import re
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from internal.exception import NotFoundException
from internal.schema.upload_file import MAX_UPLOAD_SIZE
from internal.service.upload_file_service import UploadFileService
from test.api.assertions import assert_validate_error

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20
KEY_PATTERN = r"\d{4}/\d{2}/\d{2}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def post_file(client, path, member, *files, field="file", **extra):
    data = {field: [(io.BytesIO(content), name) for name, content in files], **extra}
    headers = member.headers if member else {}
    return client.post(path, data=data, headers=headers, content_type="multipart/form-data")


def upload_document(client, member, name, content):
    return post_file(client, "/upload-files/file", member, (name, content))


def upload_image(client, member, name, content):
    return post_file(client, "/upload-files/image", member, (name, content))



def test_upload_document_returns_its_record(app, client, member):
    content = "# 接口文档\n\n内容".encode()
    before = int(time.time())
    resp = upload_document(client, member, "项目API文档.md", content)

    assert resp.status_code == 200
    assert resp.json["code"] == "success" and resp.json["message"] == ""
    data = resp.json["data"]
    assert set(data) == {"id", "account_id", "name", "key", "size", "extension", "mime_type", "created_at"}
    assert data["account_id"] == str(member.id)
    assert data["name"] == "项目API文档.md"
    assert re.fullmatch(KEY_PATTERN + r"\.md", data["key"])
    assert data["key"].startswith(datetime.now(UTC).strftime("%Y/%m/%d/"))
    assert data["size"] == len(content)
    assert data["extension"] == ".md" and data["mime_type"] == "text/markdown"
    assert isinstance(data["created_at"], int) and before - 1 <= data["created_at"] <= int(time.time()) + 1

    with app.app_context():
        record = app.extensions["injector"].get(UploadFileService).get(member.id, uuid.UUID(data["id"]))
        assert record.hash == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "extension", "mime_type"),
    [
        ("notes.txt", b"plain", ".txt", "text/plain"),
        ("README.MARKDOWN", b"# title", ".markdown", "text/markdown"),
        ("paper.pdf", b"%PDF-1.7\n...", ".pdf", "application/pdf"),
        ("report.docx", ZIP, ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("page.html", b"<p>hi</p>", ".html", "text/html"),
        ("page.htm", b"<p>hi</p>", ".htm", "text/html"),
        ("table.csv", b"a,b\n1,2", ".csv", "text/csv"),
        ("sheet.xlsx", ZIP, ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("data.json", b'{"a": 1}', ".json", "application/json"),
    ],
)
def test_every_document_type_is_recorded_with_its_real_mime_type(client, member, name, content, extension, mime_type):
    data = upload_document(client, member, name, content).json["data"]
    assert data["extension"] == extension and data["mime_type"] == mime_type
    assert data["key"].endswith(extension) and data["name"] == name


def test_a_document_is_served_back_to_its_owner_as_a_download(client, member):
    content = "第一行\nsecond line".encode()
    key = upload_document(client, member, "笔记.md", content).json["data"]["key"]

    served = client.get(f"/upload-files/{key}", headers=member.headers)
    assert served.status_code == 200
    assert served.data == content
    assert served.mimetype == "text/markdown"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Cache-Control"] == "private, no-store"


def test_a_document_is_not_served_to_anyone_else(client, member, other_member):
    key = upload_document(client, member, "secret.md", b"private words").json["data"]["key"]

    anonymous = client.get(f"/upload-files/{key}")
    assert anonymous.status_code == 401 and anonymous.json["code"] == "unauthorized"
    assert b"private words" not in anonymous.data
    foreign = client.get(f"/upload-files/{key}", headers=other_member.headers)
    assert foreign.status_code == 404 and foreign.json["code"] == "not_found"
    bad_token = client.get(f"/upload-files/{key}", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad_token.status_code == 401


def _signed_link(client, member, upload_id):
    return client.get(f"/upload-files/{upload_id}/signed-url", headers=member.headers)


def test_a_signed_link_serves_a_document_to_anyone_until_it_expires(app, client, member, other_member):
    data = upload_document(client, member, "share.md", b"shared words").json["data"]
    before = int(time.time())
    resp = _signed_link(client, member, data["id"])
    assert resp.status_code == 200 and resp.json["code"] == "success"
    link = resp.json["data"]
    assert set(link) == {"url", "expire_at"}
    ttl = app.extensions["injector"].get(__import__("config").Settings).object_storage.upload_link_ttl
    assert before + ttl <= link["expire_at"] <= int(time.time()) + ttl
    url = urlsplit(link["url"])
    assert url.path == f"/upload-files/{data['key']}"

    served = client.get(f"{url.path}?{url.query}")  # no token
    assert served.status_code == 200 and served.data == b"shared words"
    assert served.headers["Cache-Control"] == "private, no-store"

    query = parse_qs(url.query)
    expires, signature = query["expires"][0], query["signature"][0]
    refused = [
        f"expires={int(expires) + 60}&signature={signature}",  # lifetime stretched
        f"expires={expires}&signature={signature[:-4]}0000",  # signature altered
        f"expires={expires}",
        f"signature={signature}",
    ]
    for bad in refused:
        resp = client.get(f"{url.path}?{bad}")
        assert resp.status_code == 403 and resp.json["code"] == "forbidden", bad

    # The signature belongs to that key: it opens no other document.
    other_key = upload_document(client, member, "other.md", b"other words").json["data"]["key"]
    assert client.get(f"/upload-files/{other_key}?{url.query}").status_code == 403

    # Only the owner gets links.
    assert _signed_link(client, other_member, data["id"]).status_code == 404
    assert _signed_link(client, member, uuid.uuid4()).status_code == 404
    assert client.get(f"/upload-files/{data['id']}/signed-url").status_code == 401


def test_an_expired_signed_link_is_refused(app, client, member, monkeypatch):
    settings = app.extensions["injector"].get(__import__("config").Settings)
    monkeypatch.setattr(settings.object_storage, "upload_link_ttl", 1)
    data = upload_document(client, member, "brief.md", b"brief").json["data"]
    url = urlsplit(_signed_link(client, member, data["id"]).json["data"]["url"])
    assert client.get(f"{url.path}?{url.query}").status_code == 200
    expires = int(parse_qs(url.query)["expires"][0])
    time.sleep(max(0.0, expires + 1 - time.time()) + 0.05)
    resp = client.get(f"{url.path}?{url.query}")
    assert resp.status_code == 403 and "过期" in resp.json["message"]


@pytest.mark.parametrize("query", ["expires=soon&signature=ab", "expires=-1&signature=ab", "expires=1&signature=" + "a" * 129])
def test_malformed_link_parameters_are_validate_errors(client, member, query):
    key = upload_document(client, member, "x.md", b"x").json["data"]["key"]
    resp = client.get(f"/upload-files/{key}?{query}")
    assert resp.status_code == 400 and resp.json["code"] == "validate_error"
    assert resp.json["data"] == {} and resp.json["message"].split(":")[0] in ("expires", "signature")


def test_images_stay_public_and_ignore_extra_query_parameters(client, member):
    image_url = upload_image(client, member, "logo.png", PNG).json["data"]["image_url"]
    path = image_url.removeprefix("http://localhost")
    served = client.get(path + "?v=2")  # no token, a cache buster
    assert served.status_code == 200 and served.data == PNG
    assert "public" in served.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "content", "extension", "mime_type"),
    [
        ("photo.png", PNG, ".png", "image/png"),
        ("photo.jpg", JPEG, ".jpg", "image/jpeg"),
        ("photo.JPEG", JPEG, ".jpg", "image/jpeg"),
        ("anim.gif", GIF, ".gif", "image/gif"),
    ],
)
def test_upload_image_returns_a_public_url_serving_the_image(app, client, member, name, content, extension, mime_type):
    resp = upload_image(client, member, name, content)
    assert resp.status_code == 200
    assert resp.json["code"] == "success" and set(resp.json["data"]) == {"image_url"}
    image_url = resp.json["data"]["image_url"]
    assert re.fullmatch(r"http://localhost/upload-files/" + KEY_PATTERN + re.escape(extension), image_url)

    served = client.get(image_url.removeprefix("http://localhost"))
    assert served.status_code == 200 and served.data == content
    assert served.mimetype == mime_type
    assert "attachment" not in served.headers.get("Content-Disposition", "")

    key = image_url.removeprefix("http://localhost/upload-files/")
    with app.app_context():
        record = app.extensions["injector"].get(UploadFileService).load_served(key)[0]
        assert (record.account_id, record.name, record.mime_type) == (member.id, name, mime_type)
        assert record.hash == hashlib.sha256(content).hexdigest()


def test_image_content_decides_its_recorded_type(client, member):
    image_url = upload_image(client, member, "really-a-jpeg.png", JPEG).json["data"]["image_url"]
    assert image_url.endswith(".jpg")
    assert client.get(image_url.removeprefix("http://localhost")).mimetype == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fake.png", b"<script>alert(1)</script>"),
        ("fake.gif", b"%PDF-1.7"),
        ("picture.bmp", PNG),
        ("vector.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("noextension", PNG),
    ],
)
def test_image_name_and_bytes_must_both_be_an_allowed_image(client, member, name, content):
    assert_validate_error(upload_image(client, member, name, content), "file", status=415)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("program.exe", b"MZ\x90\x00"),
        ("archive.zip", ZIP),
        ("photo.png", PNG),
        ("README", b"no extension"),
        (".md", b"only an extension"),
        ("paper.pdf", b"not a pdf"),
        ("report.docx", b"plain text"),
    ],
)
def test_document_type_outside_the_allow_list_is_refused(client, member, name, content):
    assert_validate_error(upload_document(client, member, name, content), "file", status=415)


@pytest.mark.parametrize("path", ["/upload-files/file", "/upload-files/image"])
def test_file_field_rules(client, member, path):
    missing = client.post(path, data={"other": "value"}, headers=member.headers, content_type="multipart/form-data")
    assert_validate_error(missing, "file")
    assert_validate_error(post_file(client, path, member, ("", b"")), "file")  # an empty file input
    assert_validate_error(post_file(client, path, member, ("empty.md", b"")), "file")
    assert_validate_error(post_file(client, path, member, ("a.png", PNG), ("b.png", PNG)), "file")
    assert_validate_error(post_file(client, path, member, ("a.png", PNG), field="upload"), "file")
    both = client.post(
        path,
        data={"file": (io.BytesIO(PNG), "a.png"), "file2": (io.BytesIO(PNG), "b.png")},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    assert_validate_error(both, "file")
    assert_validate_error(client.post(path, json={"file": "a.md"}, headers=member.headers), "file", status=415)


def test_a_file_of_exactly_15_mb_is_accepted_and_one_byte_more_is_too_large(client, member):
    assert MAX_UPLOAD_SIZE == 15 * 1024 * 1024
    exact = upload_document(client, member, "big.txt", b"a" * MAX_UPLOAD_SIZE)
    assert exact.status_code == 200 and exact.json["data"]["size"] == MAX_UPLOAD_SIZE

    too_big = upload_document(client, member, "big.txt", b"a" * (MAX_UPLOAD_SIZE + 1))
    assert_validate_error(too_big, "file", status=413)
    assert "15MB" in too_big.json["message"]


def test_a_huge_body_gets_the_413_envelope(client, member):
    resp = upload_image(client, member, "huge.png", PNG + b"\x00" * (20 * 1024 * 1024))
    assert resp.status_code == 413
    assert resp.is_json and resp.json["code"] == "validate_error" and resp.json["message"]


@pytest.mark.parametrize("path", ["/upload-files/file", "/upload-files/image"])
def test_uploads_need_a_signed_in_account(client, path):
    resp = post_file(client, path, None, ("a.png", PNG))
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"


def test_untrusted_file_names_are_kept_for_display_only(client, member):
    data = upload_document(client, member, "../../etc/evil.md", b"x").json["data"]
    assert data["name"] == "evil.md" and "evil" not in data["key"]

    nested = upload_document(client, member, "项目/资料/报告.txt", b"x").json["data"]
    assert nested["name"] == "报告.txt"

    long_name = "长" * 300 + ".md"
    data = upload_document(client, member, long_name, b"x").json["data"]
    assert len(data["name"]) == 255 and data["name"].endswith(".md") and data["extension"] == ".md"


@pytest.mark.parametrize(
    "path",
    [
        "/upload-files/../jwt_secret_key",
        "/upload-files/%2e%2e/jwt_secret_key",
        "/upload-files/..%2Fjwt_secret_key",
        "/upload-files/2024/05/14/..%2F..%2F..%2F..%2Fjwt_secret_key",
        "/upload-files/%2Fetc%2Fpasswd",
        "/upload-files//etc/passwd",
        "/upload-files/2024/05/14/00000000-0000-0000-0000-000000000000.md",
    ],
)
def test_the_public_link_serves_only_recorded_uploads(app, client, path):
    resp = client.get(path, follow_redirects=True)  # Werkzeug redirects doubled slashes first
    assert resp.status_code == 404
    assert resp.is_json and resp.json["code"] == "not_found"


def test_a_file_placed_in_the_upload_folder_without_a_record_is_not_served(app, client):
    settings = app.extensions["injector"].get(__import__("config").Settings)
    stray = settings.storage_dir / "uploads" / "stray.txt"
    stray.write_text("not uploaded through the API")
    assert client.get("/upload-files/stray.txt").status_code == 404


def test_load_content_checks_ownership(app, client, member, other_member):
    upload_id = uuid.UUID(upload_document(client, member, "mine.txt", b"private words").json["data"]["id"])
    with app.app_context():
        service = app.extensions["injector"].get(UploadFileService)
        assert service.load_content(member.id, upload_id) == b"private words"
        with pytest.raises(NotFoundException):
            service.load_content(other_member.id, upload_id)
        with pytest.raises(NotFoundException):
            service.load_content(member.id, uuid.uuid4())


def test_upload_routes_are_documented_as_multipart(client):
    paths = client.get("/docs/openapi.json").json["paths"]
    for path in ("/upload-files/file", "/upload-files/image"):
        body = paths[path]["post"]["requestBody"]["content"]
        assert "multipart/form-data" in body
