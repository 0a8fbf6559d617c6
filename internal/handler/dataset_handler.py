"""Knowledge bases (llmops-api.md §4.1-4.5): list, create, read, update and delete them; the
contents of a deleted one are removed in the background."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.common import Page
from internal.schema.dataset import (
    CreateDatasetReq,
    DatasetDetailResp,
    DatasetResp,
    GetDatasetsWithPageReq,
    UpdateDatasetReq,
)
from internal.service.dataset_service import DatasetService
from pkg.paginator import page_body
from pkg.response import success_json, success_message

from .endpoint import endpoint

_TAGS = ("datasets",)


@inject
@dataclass
class DatasetHandler:
    dataset_service: DatasetService

    @endpoint(query=GetDatasetsWithPageReq, resp=Page[DatasetResp], tags=_TAGS)
    def get_datasets_with_page(self, query: GetDatasetsWithPageReq):
        """The account's knowledge bases, newest first; `search_word` matches names."""
        datasets, paginator = self.dataset_service.list_datasets(current_account().id, query)
        items = [DatasetResp.render_with_stats(dataset, stats) for dataset, stats in datasets]
        return success_json(page_body(items, paginator))

    @endpoint(body=CreateDatasetReq, tags=_TAGS)
    def create_dataset(self, body: CreateDatasetReq):
        """Create a knowledge base; its name is unique in the account, an empty description is generated."""
        self.dataset_service.create(current_account().id, body)
        return success_message("创建知识库成功")

    @endpoint(resp=DatasetDetailResp, tags=_TAGS)
    def get_dataset(self, dataset_id: uuid.UUID):
        """One knowledge base with its counts and total hits."""
        dataset, stats = self.dataset_service.get_with_stats(current_account().id, dataset_id)
        return success_json(DatasetDetailResp.render_with_stats(dataset, stats))

    @endpoint(body=UpdateDatasetReq, tags=_TAGS)
    def update_dataset(self, dataset_id: uuid.UUID, body: UpdateDatasetReq):
        """Rename a knowledge base, change its icon and description."""
        self.dataset_service.update(current_account().id, dataset_id, body)
        return success_message("更新知识库成功")

    @endpoint(tags=_TAGS)
    def delete_dataset(self, dataset_id: uuid.UUID):
        """Delete a knowledge base with its documents, segments and queries; vectors are removed in the background."""
        self.dataset_service.delete(current_account().id, dataset_id)
        return success_message("删除知识库成功")
