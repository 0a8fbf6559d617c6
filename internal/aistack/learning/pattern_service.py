"""Patterns: the topics of an account's newest interactions (clustering.py), each labelled by
its commonest keywords, with its frequency and how its answers were rated."""

import uuid
from collections import Counter
from dataclasses import dataclass

import numpy as np
from injector import inject
from langchain_core.embeddings import Embeddings

from config import Settings
from internal.extension.database import SQLAlchemy

from . import clustering
from .interaction_service import InteractionService
from .models import Feedback
from .schemas import Pattern, PatternsResp

LABEL_KEYWORDS = 3
TOPIC_KEYWORDS = 5
EXAMPLES = 5


@dataclass
class InteractionText:
    id: uuid.UUID
    user_input: str
    system_response: str
    feedback: str


@dataclass
class Topic:
    keywords: list[str]
    members: list[InteractionText]
    total: int  # interactions clustered with it

    @property
    def label(self) -> str:
        return " / ".join(self.keywords[:LABEL_KEYWORDS]) or self.members[0].user_input[:30]

    def rated(self, feedback: Feedback) -> list[InteractionText]:
        return [member for member in self.members if member.feedback == feedback.value]

    def as_pattern(self, rank: int) -> Pattern:
        size = len(self.members)
        negatives = len(self.rated(Feedback.NEGATIVE))
        return Pattern(
            pattern_id=rank,
            label=self.label,
            keywords=self.keywords,
            frequency=size,
            share=round(size / self.total, 4),
            negative_count=negatives,
            negative_rate=round(negatives / size, 4),
            positive_rate=round(len(self.rated(Feedback.POSITIVE)) / size, 4),
            example_interaction_ids=[member.id for member in self.members[:EXAMPLES]],
        )


@inject
@dataclass
class PatternService:
    settings: Settings
    db: SQLAlchemy
    embeddings: Embeddings
    interaction_service: InteractionService

    def patterns(self, account_id: uuid.UUID, limit: int) -> PatternsResp:
        topics = self.topics(account_id)
        return PatternsResp(
            patterns=[topic.as_pattern(rank) for rank, topic in enumerate(topics[:limit], start=1)],
            total_interactions=sum(len(topic.members) for topic in topics),
            total_patterns=len(topics),
        )

    def topics(self, account_id: uuid.UUID) -> list[Topic]:
        """The account's topics, most frequent first."""
        config = self.settings.aistack_learning
        texts = [
            InteractionText(row.id, row.user_input, row.system_response, row.feedback)
            for row in self.interaction_service.newest(account_id, config.aistack_learning_max_interactions)
        ]
        self.db.session.commit()  # nothing stays open while the texts are embedded
        if not texts:
            return []
        inputs = [text.user_input for text in texts]
        keywords = [clustering.text_keywords(text) for text in inputs]
        vectors = clustering.features(np.asarray(self.embeddings.embed_documents(inputs)), keywords)
        groups = clustering.cluster(vectors, config.aistack_learning_cluster_similarity)
        return [
            Topic(_commonest(keywords[i] for i in group.members), [texts[i] for i in group.members], len(texts))
            for group in groups
        ]


def _commonest(keyword_lists) -> list[str]:
    counts: Counter[str] = Counter()
    for words in keyword_lists:
        for word in dict.fromkeys(words):  # once per interaction, in order (ties keep it)
            counts[word] += 1
    return [word for word, _ in counts.most_common(TOPIC_KEYWORDS)]
