"""Requests and responses of the document endpoints (llmops-api.md §4.8-4.14)."""

import re
import uuid
from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from internal.core.text_processing import splitter
from pkg.paginator import PageReq

from .common import Documented, RequestModel, ResponseModel, Timestamp, trimmed

MAX_FILES_PER_BATCH = 10
MAX_SEPARATORS = 20


class ProcessType(str, Enum):
    AUTOMATIC = "automatic"
    CUSTOM = "custom"


def _check_separator(value: str) -> str:
    """A regular expression; the empty string is the splitter's "cut by tokens" separator."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"分隔符不是合法的正则表达式：{exc}") from None
    return value


Separator = Annotated[str, StringConstraints(max_length=100), AfterValidator(_check_separator), Documented(format="regex")]


class PreProcessRuleReq(RequestModel):
    id: Literal["remove_extra_space", "remove_url_and_email"]
    enabled: bool


class SegmentRuleReq(RequestModel):
    separators: list[Separator] = Field(min_length=1, max_length=MAX_SEPARATORS)
    chunk_size: int = Field(ge=splitter.MIN_CHUNK_SIZE, le=splitter.MAX_CHUNK_SIZE)
    chunk_overlap: int = Field(
        ge=0,
        le=splitter.max_chunk_overlap(splitter.MAX_CHUNK_SIZE),
        description="At most half of chunk_size (rounded down).",
    )

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info: ValidationInfo) -> int:
        chunk_size = info.data.get("chunk_size")
        if chunk_size is not None and value > splitter.max_chunk_overlap(chunk_size):
            raise ValueError(f"不能超过chunk_size的一半（{splitter.max_chunk_overlap(chunk_size)}）")
        return value


class DocumentRuleReq(RequestModel):
    # The document's own example spells it `pre_proces_rules` (llmops-api-index.md D32); both are accepted.
    pre_process_rules: list[PreProcessRuleReq] = Field(
        default_factory=list,
        max_length=2,
        validation_alias=AliasChoices("pre_process_rules", "pre_proces_rules"),
        # Each rule id at most once.
        json_schema_extra={
            "allOf": [
                {"contains": {"properties": {"id": {"const": rule_id}}}, "minContains": 0, "maxContains": 1}
                for rule_id in ("remove_extra_space", "remove_url_and_email")
            ]
        },
    )
    segment: SegmentRuleReq

    @field_validator("pre_process_rules")
    @classmethod
    def _rules_once_each(cls, value: list[PreProcessRuleReq]) -> list[PreProcessRuleReq]:
        ids = [rule.id for rule in value]
        if len(ids) != len(set(ids)):
            raise ValueError("同一个预处理规则只能出现一次")
        return value

    def stored(self) -> dict:
        """The rule as kept on the document and read by the pipeline."""
        return {
            "pre_process_rules": [rule.model_dump() for rule in self.pre_process_rules],
            "segment": self.segment.model_dump(),
        }


class CreateDocumentsReq(RequestModel):
    # A custom process type needs its rule.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"process_type": {"const": ProcessType.CUSTOM.value}}, "required": ["process_type"]},
            "then": {"properties": {"rule": {"type": "object"}}, "required": ["rule"]},
        }
    )

    upload_file_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=MAX_FILES_PER_BATCH, json_schema_extra={"uniqueItems": True}
    )
    process_type: ProcessType
    rule: DocumentRuleReq | None = Field(None, validate_default=True)

    @field_validator("upload_file_ids")
    @classmethod
    def _distinct_files(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("不能包含重复的文件")
        return value

    @field_validator("rule")
    @classmethod
    def _custom_needs_rule(cls, value: DocumentRuleReq | None, info: ValidationInfo) -> DocumentRuleReq | None:
        if value is None and info.data.get("process_type") is ProcessType.CUSTOM:
            raise ValueError("自定义处理类型必须传递处理规则")
        return value


class GetDocumentsWithPageReq(PageReq):
    search_word: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class UpdateDocumentNameReq(RequestModel):
    name: trimmed(100, min_length=1)


class UpdateEnabledReq(RequestModel):
    enabled: bool


class CreatedDocumentResp(ResponseModel):
    id: uuid.UUID
    name: str
    status: str
    created_at: Timestamp


class CreateDocumentsResp(ResponseModel):
    documents: list[CreatedDocumentResp]
    batch: str


class DocumentResp(ResponseModel):
    """DocumentRow (4.8)."""

    id: uuid.UUID
    name: str
    character_count: int
    hit_count: int
    position: int
    enabled: bool
    disabled_at: Timestamp
    status: str
    error: str
    updated_at: Timestamp
    created_at: Timestamp


class DocumentDetailResp(DocumentResp):
    """4.13: a row plus its dataset and segment count."""

    dataset_id: uuid.UUID
    segment_count: int

    @classmethod
    def render_with_count(cls, document, segment_count: int) -> dict:
        fields = {name: getattr(document, name) for name in cls.model_fields if name != "segment_count"}
        return cls.render({**fields, "segment_count": segment_count})


class DocumentProgressResp(ResponseModel):
    """One document of a batch (4.10); file facts come from its upload, counts are live."""

    id: uuid.UUID
    name: str
    size: int
    extension: str
    mime_type: str
    position: int
    segment_count: int
    completed_segment_count: int
    error: str
    status: str
    processing_started_at: Timestamp
    parsing_completed_at: Timestamp
    splitting_completed_at: Timestamp
    completed_at: Timestamp
    stopped_at: Timestamp
    created_at: Timestamp

    @classmethod
    def render_progress(cls, document, upload, segment_count: int, completed_segment_count: int) -> dict:
        fields = {name: getattr(document, name) for name in cls.model_fields if hasattr(document, name)}
        return cls.render(
            {
                **fields,
                # The upload may have been removed since (the link is then null): report it as unknown.
                "size": upload.size if upload else 0,
                "extension": upload.extension if upload else "",
                "mime_type": upload.mime_type if upload else "",
                "segment_count": segment_count,
                "completed_segment_count": completed_segment_count,
            }
        )
