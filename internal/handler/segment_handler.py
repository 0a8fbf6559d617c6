"""Segments of a document (llmops-api.md §4.15-4.20): list, add, read, edit, switch on or off
and delete them."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.common import Page
from internal.schema.document import UpdateEnabledReq
from internal.schema.segment import (
    CreateSegmentReq,
    GetSegmentsWithPageReq,
    SegmentDetailResp,
    SegmentResp,
    UpdateSegmentReq,
)
from internal.service.segment_service import SegmentService
from pkg.paginator import page_body
from pkg.response import success_json, success_message

from .endpoint import endpoint

_TAGS = ("segments",)


@inject
@dataclass
class SegmentHandler:
    segment_service: SegmentService

    @endpoint(query=GetSegmentsWithPageReq, resp=Page[SegmentResp], tags=_TAGS)
    def get_segments_with_page(self, dataset_id: uuid.UUID, document_id: uuid.UUID, query: GetSegmentsWithPageReq):
        """The document's segments in document order; `search_word` matches content."""
        segments, paginator = self.segment_service.list_segments(current_account().id, dataset_id, document_id, query)
        return success_json(page_body(SegmentResp.render_many(segments), paginator))

    @endpoint(body=CreateSegmentReq, tags=_TAGS)
    def create_segment(self, dataset_id: uuid.UUID, document_id: uuid.UUID, body: CreateSegmentReq):
        """Append a segment to a completed document; embedded and indexed before the answer."""
        self.segment_service.create(current_account().id, dataset_id, document_id, body)
        return success_message("新增文档片段成功")

    @endpoint(resp=SegmentDetailResp, tags=_TAGS)
    def get_segment(self, dataset_id: uuid.UUID, document_id: uuid.UUID, segment_id: uuid.UUID):
        """One segment with the hash of its content."""
        segment = self.segment_service.get(current_account().id, dataset_id, document_id, segment_id)
        return success_json(SegmentDetailResp.render(segment))

    @endpoint(body=UpdateSegmentReq, tags=_TAGS)
    def update_segment(
        self, dataset_id: uuid.UUID, document_id: uuid.UUID, segment_id: uuid.UUID, body: UpdateSegmentReq
    ):
        """Replace a segment's content (and keywords); embedded and indexed again before the answer."""
        self.segment_service.update(current_account().id, dataset_id, document_id, segment_id, body)
        return success_message("修改文档片段信息成功")

    @endpoint(body=UpdateEnabledReq, tags=_TAGS)
    def update_segment_enabled(
        self, dataset_id: uuid.UUID, document_id: uuid.UUID, segment_id: uuid.UUID, body: UpdateEnabledReq
    ):
        """Switch a completed segment on or off for retrieval."""
        self.segment_service.set_enabled(current_account().id, dataset_id, document_id, segment_id, body.enabled)
        return success_message("修改片段状态成功")

    @endpoint(tags=_TAGS)
    def delete_segment(self, dataset_id: uuid.UUID, document_id: uuid.UUID, segment_id: uuid.UUID):
        """Delete a segment from the document and both indexes."""
        self.segment_service.delete(current_account().id, dataset_id, document_id, segment_id)
        return success_message("删除文档片段成功")
