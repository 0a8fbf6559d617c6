"""Knowledge bases of an account (llmops-api.md §4.1-4.5): names, descriptions, counts, and their removal."""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace

from injector import inject
from sqlalchemy import delete, func, select

from internal.extension.task_queue import TaskQueue
from internal.model import Dataset, Document, IndexCleanup
from internal.schema.dataset import CreateDatasetReq, GetDatasetsWithPageReq, UpdateDatasetReq
from pkg.paginator import Paginator, paginate
from pkg.sql_like import contains_pattern

from .app_config_service import AppConfigService
from .base_service import BaseService
from .task_names import DELETE_DATASET

logger = logging.getLogger(__name__)

DATASET_NOT_FOUND = "该知识库不存在"
DUPLICATE_NAME = "name: 该知识库名字已存在"
DEFAULT_DESCRIPTION = "Useful for when you want to answer queries about the {name}"


@dataclass(frozen=True)
class DatasetStats:
    document_count: int = 0
    character_count: int = 0
    hit_count: int = 0
    # Distinct apps binding the dataset in their draft or published configuration.
    related_app_count: int = 0


def default_description(name: str) -> str:
    return DEFAULT_DESCRIPTION.format(name=name)


@inject
@dataclass
class DatasetService(BaseService):
    task_queue: TaskQueue
    app_config_service: AppConfigService

    def create(self, account_id: uuid.UUID, req: CreateDatasetReq) -> Dataset:
        self.check_name_free(Dataset, account_id, req.name, DUPLICATE_NAME)
        dataset = Dataset(account_id=account_id)
        self._fill(dataset, req)
        with self.saving_unique_name(DUPLICATE_NAME):
            self.db.session.add(dataset)
        return dataset

    def update(self, account_id: uuid.UUID, dataset_id: uuid.UUID, req: UpdateDatasetReq) -> Dataset:
        dataset = self.get_dataset(account_id, dataset_id)
        self.check_name_free(Dataset, account_id, req.name, DUPLICATE_NAME, excluding=dataset.id)
        with self.saving_unique_name(DUPLICATE_NAME):
            self._fill(dataset, req)
        return dataset

    def delete(self, account_id: uuid.UUID, dataset_id: uuid.UUID) -> None:
        """The dataset is gone for the caller when this returns; its vectors go in the background.

        Deleting the row makes the database cascade to its documents, segments, keyword terms
        and queries in the same statement, so no half-deleted dataset is ever visible. What the
        database does not hold (vectors, app bindings) is removed by the `delete_dataset` task.
        """
        dataset = self.get_dataset(account_id, dataset_id)
        documents = self.db.session.scalars(select(Document.id).where(Document.dataset_id == dataset.id))
        document_ids = [str(document_id) for document_id in documents]
        cleanup = IndexCleanup(id=uuid.uuid4(), dataset_id=dataset.id, document_ids=document_ids, whole_dataset=True)
        with self.db.auto_commit():
            # Bulk deletes run in the database; the ORM would load every row first.
            self.db.session.execute(delete(Dataset).where(Dataset.id == dataset.id))
            self.db.session.add(cleanup)
        try:
            self.task_queue.enqueue(DELETE_DATASET, str(dataset_id), document_ids, str(cleanup.id))
        except Exception:
            # The deletion stands (retrieval ignores vectors whose segment is gone); the sweep
            # queues the cleanup again later.
            logger.exception("Queueing the index removal of deleted dataset %s failed", dataset_id)

    def get_dataset(self, account_id: uuid.UUID, dataset_id: uuid.UUID) -> Dataset:
        return self.get_owned(Dataset, dataset_id, account_id, DATASET_NOT_FOUND)

    def get_with_stats(self, account_id: uuid.UUID, dataset_id: uuid.UUID) -> tuple[Dataset, DatasetStats]:
        dataset = self.get_dataset(account_id, dataset_id)
        return dataset, self._stats([dataset.id]).get(dataset.id, DatasetStats())

    def list_datasets(
        self, account_id: uuid.UUID, req: GetDatasetsWithPageReq
    ) -> tuple[list[tuple[Dataset, DatasetStats]], Paginator]:
        """A page of the account's datasets, newest first, each with its counts."""
        stmt = select(Dataset).where(Dataset.account_id == account_id)
        if req.search_word:
            stmt = stmt.where(Dataset.name.ilike(contains_pattern(req.search_word), escape="\\"))
        stmt = stmt.order_by(Dataset.created_at.desc(), Dataset.id.desc())
        datasets, paginator = paginate(self.db.session, stmt, req)
        stats = self._stats(dataset.id for dataset in datasets)
        return [(dataset, stats.get(dataset.id, DatasetStats())) for dataset in datasets], paginator

    def _stats(self, dataset_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, DatasetStats]:
        ids = list(dataset_ids)
        if not ids:
            return {}
        rows = self.db.session.execute(
            select(
                Document.dataset_id,
                func.count(Document.id),
                func.coalesce(func.sum(Document.character_count), 0),
                func.coalesce(func.sum(Document.hit_count), 0),
            )
            .where(Document.dataset_id.in_(ids))
            .group_by(Document.dataset_id)
        )
        related_apps = self.app_config_service.count_related_apps(ids)
        stats = {
            dataset_id: DatasetStats(document_count=count, character_count=int(characters), hit_count=int(hits))
            for dataset_id, count, characters, hits in rows
        }
        return {
            dataset_id: replace(stats.get(dataset_id, DatasetStats()), related_app_count=related_apps.get(dataset_id, 0))
            for dataset_id in ids
        }

    @staticmethod
    def _fill(dataset: Dataset, req: CreateDatasetReq) -> None:
        dataset.name = req.name
        dataset.icon = req.icon
        # Never stored empty: an empty description is (re)generated from the name being saved.
        dataset.description = req.description or default_description(req.name)

