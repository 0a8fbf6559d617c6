import logging
from urllib.parse import quote

from qcloud_cos import CosClientError, CosConfig, CosS3Client, CosServiceError

from config.settings import ObjectStorageSettings

from .base import ObjectNotFoundError, ObjectStorage, StorageError, check_key

logger = logging.getLogger(__name__)


def _split_host_port(address: str) -> tuple[str, int | None]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return address, None
    return host, int(port)


class CosStorage(ObjectStorage):
    """Tencent Cloud Object Storage through its official SDK, one bucket for every upload."""

    def __init__(self, settings: ObjectStorageSettings):
        required = {
            "COS_SECRET_ID": settings.cos_secret_id,
            "COS_SECRET_KEY": settings.cos_secret_key,
            "COS_REGION": settings.cos_region,
            "COS_BUCKET": settings.cos_bucket,
        }
        missing = [name for name, value in required.items() if not value]
        if missing:
            raise RuntimeError(f"STORAGE_BACKEND=cos requires these settings: {', '.join(missing)} (see .env.example)")
        self.bucket = settings.cos_bucket
        self.scheme = settings.cos_scheme
        self.domain = settings.cos_domain.strip().rstrip("/")
        options = {}
        credentials = dict(Region=settings.cos_region, SecretId=settings.cos_secret_id, SecretKey=settings.cos_secret_key)
        if settings.cos_endpoint_override:
            # The SDK sends to IP:Port and still names the bucket's own domain in Host (and signs it).
            options["IP"], options["Port"] = _split_host_port(settings.cos_endpoint_override)
        config = CosConfig(Scheme=settings.cos_scheme, Timeout=settings.cos_timeout, **credentials, **options)
        self.client = CosS3Client(config)
        # Presigned URLs are for browsers: they name (and sign) the bucket's own domain even when
        # this server reaches COS through an override. Signing is local: this client sends nothing.
        self.link_client = CosS3Client(CosConfig(Scheme=settings.cos_scheme, **credentials)) if options else self.client

    def save(self, key, data, content_type, private=False):
        # A private object stays unreadable without a signature even in a public-read bucket.
        options = {"ACL": "private"} if private else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type, **options)
        except (CosClientError, CosServiceError) as exc:
            raise StorageError(f"COS put_object {key!r} failed: {_describe(exc)}") from exc

    def load(self, key):
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
            return response["Body"].get_raw_stream().read()
        except CosServiceError as exc:
            if exc.get_status_code() == 404:
                raise ObjectNotFoundError(key) from None
            raise StorageError(f"COS get_object {key!r} failed: {_describe(exc)}") from exc
        except CosClientError as exc:
            raise StorageError(f"COS get_object {key!r} failed: {_describe(exc)}") from exc

    def delete(self, key):
        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except (CosClientError, CosServiceError) as exc:
            raise StorageError(f"COS delete_object {key!r} failed: {_describe(exc)}") from exc

    def exists(self, key):
        try:
            return self.client.object_exists(Bucket=self.bucket, Key=check_key(key))
        except (CosClientError, CosServiceError) as exc:
            raise StorageError(f"COS head_object {key!r} failed: {_describe(exc)}") from exc

    def public_url(self, key):
        if self.domain:
            base = self.domain if "://" in self.domain else f"{self.scheme}://{self.domain}"
            return f"{base}/{quote(check_key(key))}"
        return self.client.get_object_url(Bucket=self.bucket, Key=check_key(key))

    def presigned_url(self, key, expires_in):
        return self.link_client.get_presigned_url(Bucket=self.bucket, Key=check_key(key), Method="GET", Expired=expires_in)


def _describe(exc: Exception) -> str:
    if isinstance(exc, CosServiceError):
        return f"HTTP {exc.get_status_code()} {exc.get_error_code()}: {exc.get_error_msg()}"
    return str(exc)
