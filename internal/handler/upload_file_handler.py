"""Uploads (llmops-api.md §3.1, §3.2): a document or an image per request, and serving stored
files back from the local storage backend."""

import io
from dataclasses import dataclass

from flask import send_file
from injector import inject
from werkzeug.datastructures import FileStorage

from internal.middleware import AuthKind, current_account
from internal.schema.upload_file import MAX_UPLOAD_SIZE, UploadFileResp, UploadImageResp
from internal.service.upload_file_service import UploadFileService
from pkg.response import success_json

from .endpoint import FilePart, endpoint

UPLOAD = FilePart("file", max_size=MAX_UPLOAD_SIZE)
# Keys hold a random uuid and never change content, so clients may cache them for good.
ONE_YEAR = 365 * 24 * 3600


@inject
@dataclass
class UploadFileHandler:
    upload_file_service: UploadFileService

    @endpoint(file=UPLOAD, resp=UploadFileResp, tags=("upload-file",))
    def upload_file(self, file: FileStorage):
        """Upload one document (txt, md, pdf, docx, html, csv, xlsx, json; at most 15 MB)."""
        upload = self.upload_file_service.upload_document(current_account().id, file.filename, file.read())
        return success_json(UploadFileResp.render(upload))

    @endpoint(file=UPLOAD, resp=UploadImageResp, tags=("upload-file",))
    def upload_image(self, file: FileStorage):
        """Upload one jpg, jpeg, png or gif image (at most 15 MB) and get its public URL."""
        image_url = self.upload_file_service.upload_image(current_account().id, file.filename, file.read())
        return success_json({"image_url": image_url})

    @endpoint(auth=AuthKind.NONE, raw_response="application/octet-stream", tags=("upload-file",))
    def serve_upload_file(self, key: str):
        """The bytes of an upload, public so that <img> tags can show images; the key is unguessable."""
        upload, content = self.upload_file_service.load_public(key)
        is_image = upload.mime_type.startswith("image/")
        response = send_file(
            io.BytesIO(content),
            mimetype=upload.mime_type,
            as_attachment=not is_image,
            download_name=upload.name or key.rsplit("/", 1)[-1],
            etag=upload.hash,
            max_age=ONE_YEAR,
        )
        # Uploaded HTML must never run as a page of the API's origin.
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
