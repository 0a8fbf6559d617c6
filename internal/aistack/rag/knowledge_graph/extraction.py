"""Asking a model for the entities and relationships of a few numbered chunks (structured output
through function calling, which every provider of the catalog supports), and the rules that
make names, types and relationship types comparable across chunks and documents."""

import re
import unicodedata
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from internal.core.language_model.structured import structured_answer

ENTITY_TYPES = ("Person", "Company", "Organization", "Product", "Location", "Technology", "Event", "Concept")
DEFAULT_ENTITY_TYPE = "Concept"
DEFAULT_RELATIONSHIP_TYPE = "RELATED_TO"
NAME_LIMIT = 255
TYPE_LIMIT = 64


class ExtractedEntity(BaseModel):
    name: str = Field(description="The entity's name as the text writes it")
    type: str = Field(description=f"One of {', '.join(ENTITY_TYPES)}, or another short English noun")
    description: str = Field("", description="One sentence about the entity, from the text")
    chunks: list[int] = Field(default_factory=list, description="Numbers of the chunks that mention it")


class ExtractedRelationship(BaseModel):
    source: str = Field(description="Name of the entity the relationship goes from")
    target: str = Field(description="Name of the entity it goes to")
    type: str = Field(description="UPPER_SNAKE_CASE verb phrase, e.g. WORKS_AT, FOUNDED, LOCATED_IN")
    description: str = Field("", description="One sentence about the relationship, from the text")
    chunks: list[int] = Field(default_factory=list, description="Numbers of the chunks that state it")


class KnowledgeGraphExtraction(BaseModel):
    """Entities and relationships found in the numbered chunks."""

    entities: list[ExtractedEntity] = Field(default_factory=list)
    relationships: list[ExtractedRelationship] = Field(default_factory=list)


SYSTEM_PROMPT = """You build a knowledge graph from documents. From the numbered chunks the user \
sends, extract {what}. Entity types: {types} (or another short English noun when none fits). \
Relationship types are UPPER_SNAKE_CASE verb phrases such as WORKS_AT, FOUNDED, LOCATED_IN, \
PRODUCES, USES, PART_OF. Use names exactly as the text writes them; a relationship's source and \
target are names of extracted entities. For each item list the numbers of the chunks it comes \
from. Extract only what the text states. Answer by calling the KnowledgeGraphExtraction function."""


@dataclass(frozen=True)
class Chunk:
    """A segment sent to the model, numbered within its request."""

    number: int
    segment_id: str
    content: str


def extract(llm: BaseChatModel, chunks: list[Chunk], entities: bool, relationships: bool) -> KnowledgeGraphExtraction:
    """The model's extraction for `chunks`; raises whatever the model's client raises."""
    what = " and ".join(
        part for part, wanted in (("entities", entities or relationships), ("relationships between them", relationships)) if wanted
    )
    prompt = SYSTEM_PROMPT.format(what=what, types=", ".join(ENTITY_TYPES))
    text = "\n\n".join(f"[chunk {chunk.number}]\n{chunk.content}" for chunk in chunks)
    return structured_answer(llm, KnowledgeGraphExtraction, [SystemMessage(prompt), HumanMessage(text)])


def normalize_name(name: str) -> str:
    """The key entities merge by: Unicode-compatible, case-folded, single-spaced."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())[:NAME_LIMIT]


def clean_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())[:NAME_LIMIT]


def entity_type(raw: str) -> str:
    """A label Cypher can name: a known type in its spelling, else the words in CamelCase."""
    words = re.findall(r"[A-Za-z0-9]+", raw)
    if not words:
        return DEFAULT_ENTITY_TYPE
    joined = "".join(word[:1].upper() + word[1:] for word in words)
    known = {known.lower(): known for known in ENTITY_TYPES}
    label = known.get(joined.lower(), joined)
    if label[0].isdigit():
        label = "T" + label
    return label[:TYPE_LIMIT]


def relationship_type(raw: str) -> str:
    """UPPER_SNAKE: WorksAt, works at and works-at are all WORKS_AT."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", raw.strip())
    words = re.findall(r"[A-Za-z0-9]+", spaced)
    if not words:
        return DEFAULT_RELATIONSHIP_TYPE
    label = "_".join(word.upper() for word in words)
    if label[0].isdigit():
        label = "R_" + label
    return label[:TYPE_LIMIT]
