import uuid

from pydantic import BaseModel

from .common import ResponseModel, Timestamp

# llmops-api.md §3.1/§3.2: one file of at most 15 MB per request.
MAX_UPLOAD_SIZE = 15 * 1024 * 1024


class UploadFileResp(ResponseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    key: str
    size: int
    extension: str
    mime_type: str
    created_at: Timestamp


class UploadImageResp(BaseModel):
    image_url: str
