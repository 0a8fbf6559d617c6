"""Documents of a knowledge base (llmops-api.md §4.8-4.14): list, add files in a batch, follow
the batch's progress, read, rename, switch on or off and delete one."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.common import Page
from internal.schema.document import (
    CreateDocumentsReq,
    CreateDocumentsResp,
    DocumentDetailResp,
    DocumentProgressResp,
    DocumentResp,
    GetDocumentsWithPageReq,
    UpdateDocumentNameReq,
    UpdateEnabledReq,
)
from internal.service.document_service import DocumentService
from pkg.paginator import page_body
from pkg.response import success_json, success_message

from .endpoint import endpoint

_TAGS = ("documents",)


@inject
@dataclass
class DocumentHandler:
    document_service: DocumentService

    @endpoint(query=GetDocumentsWithPageReq, resp=Page[DocumentResp], tags=_TAGS)
    def get_documents_with_page(self, dataset_id: uuid.UUID, query: GetDocumentsWithPageReq):
        """The knowledge base's documents, newest first; `search_word` matches names."""
        documents, paginator = self.document_service.list_documents(current_account().id, dataset_id, query)
        return success_json(page_body(DocumentResp.render_many(documents), paginator))

    @endpoint(body=CreateDocumentsReq, resp=CreateDocumentsResp, tags=_TAGS)
    def create_documents(self, dataset_id: uuid.UUID, body: CreateDocumentsReq):
        """Add 1-10 uploaded files; answers at once with the `waiting` documents and their batch id."""
        documents, batch = self.document_service.create(current_account().id, dataset_id, body)
        return success_json(CreateDocumentsResp.render({"documents": documents, "batch": batch}))

    @endpoint(resp=list[DocumentProgressResp], tags=_TAGS)
    def get_documents_status(self, dataset_id: uuid.UUID, batch: str):
        """Live progress of each document of a batch."""
        progress = self.document_service.get_batch(current_account().id, dataset_id, batch)
        return success_json(
            [
                DocumentProgressResp.render_progress(
                    item.document, item.upload, item.segment_count, item.completed_segment_count
                )
                for item in progress
            ]
        )

    @endpoint(resp=DocumentDetailResp, tags=_TAGS)
    def get_document(self, dataset_id: uuid.UUID, document_id: uuid.UUID):
        """One document with its segment count."""
        document, segment_count = self.document_service.get(current_account().id, dataset_id, document_id)
        return success_json(DocumentDetailResp.render_with_count(document, segment_count))

    @endpoint(body=UpdateDocumentNameReq, tags=_TAGS)
    def update_document_name(self, dataset_id: uuid.UUID, document_id: uuid.UUID, body: UpdateDocumentNameReq):
        """Rename a document; names may repeat within a knowledge base."""
        self.document_service.rename(current_account().id, dataset_id, document_id, body.name)
        return success_message("更新文档信息成功")

    @endpoint(body=UpdateEnabledReq, tags=_TAGS)
    def update_document_enabled(self, dataset_id: uuid.UUID, document_id: uuid.UUID, body: UpdateEnabledReq):
        """Switch a completed document on or off for retrieval."""
        self.document_service.set_enabled(current_account().id, dataset_id, document_id, body.enabled)
        return success_message("更改文档启用状态成功")

    @endpoint(tags=_TAGS)
    def delete_document(self, dataset_id: uuid.UUID, document_id: uuid.UUID):
        """Delete a document and its segments; its vectors are removed in the background."""
        self.document_service.delete(current_account().id, dataset_id, document_id)
        return success_message("删除文档成功")
