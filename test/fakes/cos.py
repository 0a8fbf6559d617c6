"""Plays a Tencent COS bucket endpoint over real HTTP: object PUT/GET/HEAD/DELETE, checking
each request's V5 signature (in the Authorization header, or in the query string of a presigned
URL) against the secret key and its validity window the way COS does."""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from .http_server import FakeServer, RecordedRequest, Reply


@dataclass
class StoredObject:
    data: bytes
    content_type: str
    acl: str = ""  # the x-cos-acl the object was put with; "": inherits the bucket's


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


class FakeCos(FakeServer):
    """Objects live in memory under (bucket, key); the bucket comes from the Host header."""

    def __init__(self, secret_id: str, secret_key: str, region: str):
        super().__init__()
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.domain_suffix = f".cos.{region}.myqcloud.com"
        self.objects: dict[tuple[str, str], StoredObject] = {}

    def route(self, request: RecordedRequest) -> Reply:
        host = request.headers.get("host", "")
        resource = f"{host}{request.path}"
        if not host.endswith(self.domain_suffix):
            return self._error(404, "NoSuchBucket", "The specified bucket does not exist.", resource)
        bucket = host.removesuffix(self.domain_suffix)
        key = unquote(request.path).lstrip("/")
        if not self.signature_matches(request):
            return self._error(403, "SignatureDoesNotMatch", "The calculated signature does not match.", resource)

        stored = self.objects.get((bucket, key))
        if request.method == "PUT":
            content_type = request.headers.get("content-type", "application/octet-stream")
            self.objects[(bucket, key)] = StoredObject(request.body, content_type, request.headers.get("x-cos-acl", ""))
            return Reply(200, headers={"ETag": f'"{hashlib.md5(request.body).hexdigest()}"', **self._ids()})
        if request.method == "DELETE":
            self.objects.pop((bucket, key), None)
            return Reply(204, headers=self._ids())
        if stored is None:
            return self._error(404, "NoSuchKey", "The specified key does not exist.", resource, with_body=request.method != "HEAD")
        if request.method == "HEAD":
            return Reply(200, headers={"Content-Type": stored.content_type, **self._ids()})
        if request.method == "GET":
            return Reply(200, stored.data, headers={"Content-Type": stored.content_type, **self._ids()})
        return self._error(405, "MethodNotAllowed", "The specified method is not allowed.", resource)

    def signature_matches(self, request: RecordedRequest) -> bool:
        authorization = request.headers.get("authorization", "")
        if authorization:
            fields = dict(part.split("=", 1) for part in authorization.split("&") if "=" in part)
        else:  # a presigned URL
            fields = {name: values[0] for name, values in request.query.items() if name.startswith("q-")}
        if fields.get("q-sign-algorithm") != "sha1" or fields.get("q-ak") != self.secret_id:
            return False
        key_time = fields.get("q-key-time", "")
        start, _, end = fields.get("q-sign-time", "").partition(";")
        if not (start.isdigit() and end.isdigit() and int(start) <= time.time() <= int(end)):
            return False
        header_names = [n for n in fields.get("q-header-list", "").split(";") if n]
        param_names = [n for n in fields.get("q-url-param-list", "").split(";") if n]
        headers = "&".join(f"{name}={_encode(request.headers.get(name, ''))}" for name in sorted(header_names))
        params = "&".join(f"{name}={_encode(request.query.get(name, [''])[0])}" for name in sorted(param_names))
        http_string = f"{request.method.lower()}\n{unquote(request.path)}\n{params}\n{headers}\n"
        string_to_sign = f"sha1\n{key_time}\n{hashlib.sha1(http_string.encode()).hexdigest()}\n"
        sign_key = hmac.new(self.secret_key.encode(), key_time.encode(), hashlib.sha1).hexdigest()
        expected = hmac.new(sign_key.encode(), string_to_sign.encode(), hashlib.sha1).hexdigest()
        return hmac.compare_digest(expected, fields.get("q-signature", ""))

    def object_requests(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method]

    @staticmethod
    def _ids() -> dict[str, str]:
        return {"x-cos-request-id": secrets.token_hex(12)}

    def _error(self, status: int, code: str, message: str, resource: str, with_body: bool = True) -> Reply:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{code}</Code><Message>{message}</Message><Resource>{escape(resource)}</Resource>"
            f"<RequestId>{secrets.token_hex(12)}</RequestId><TraceId>{secrets.token_hex(16)}</TraceId></Error>"
        )
        return Reply(status, body if with_body else b"", headers={"Content-Type": "application/xml", **self._ids()})
