"""Requests and responses of the knowledge base endpoints (llmops-api.md §4.1-4.5)."""

import uuid
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

from pkg.paginator import PageReq

from .common import HttpUrlStr, RequestModel, ResponseModel, Timestamp, trimmed

DatasetName = trimmed(100, min_length=1)
# null and "" both mean "no description": the service writes the default text then.
DatasetDescription = Annotated[
    str,
    BeforeValidator(lambda value: "" if value is None else value),
    StringConstraints(strip_whitespace=True, max_length=2000),
]
SearchWord = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class CreateDatasetReq(RequestModel):
    name: DatasetName
    icon: HttpUrlStr
    description: DatasetDescription = ""


class UpdateDatasetReq(CreateDatasetReq):
    pass


class GetDatasetsWithPageReq(PageReq):
    search_word: SearchWord = ""


class DatasetResp(ResponseModel):
    """A list item of 4.1; `app_count` and `word_count` repeat two counts under the names the
    document's pagination sample uses (llmops-api-index.md D1)."""

    id: uuid.UUID
    name: str
    icon: str
    description: str
    document_count: int
    character_count: int
    related_app_count: int
    app_count: int
    word_count: int
    updated_at: Timestamp
    created_at: Timestamp

    @classmethod
    def render_with_stats(cls, dataset, stats) -> dict:
        return cls.model_validate(
            {
                "id": dataset.id,
                "name": dataset.name,
                "icon": dataset.icon,
                "description": dataset.description,
                "document_count": stats.document_count,
                "character_count": stats.character_count,
                "related_app_count": stats.related_app_count,
                "app_count": stats.related_app_count,
                "word_count": stats.character_count,
                "hit_count": stats.hit_count,
                "updated_at": dataset.updated_at,
                "created_at": dataset.created_at,
            }
        ).model_dump(mode="json")


class DatasetDetailResp(DatasetResp):
    """4.5: a list item plus the documents' total hits."""

    hit_count: int
