"""Fact verification ("真实性验证"): each claim of the content scored against each source by the
configured model with structured output, or, when no model is configured or it fails, by the
similarity of the claim to the source's sentences in the embedding space (`method` says which).

A claim's support is its best source's score; it is supported at or above the threshold. The
content is verified when every claim is supported; `confidence` is the mean support of the
claims; a source's `support_score` is the mean of its scores over the claims."""

import logging
import uuid
from dataclasses import dataclass

import numpy as np
from injector import inject
from langchain_core.embeddings import Embeddings
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.language_model.structured import StructuredAnswerUnavailable, structured_answer_of

from .claims import split_claims
from .schemas import ClaimCheck, SourceSupport, VerifyReq, VerifyResp
from .sources import SourceLoader, SourceText

logger = logging.getLogger(__name__)

# Sentences of one source compared with the claims in the similarity fallback.
MAX_SOURCE_SENTENCES = 200
# Cosine similarities of the local multilingual encoder: unrelated sentences score about 0.0-0.3,
# a sentence stating the same fact 0.65-0.85. Support rises linearly between these two values.
SIMILARITY_FLOOR = 0.3
SIMILARITY_FULL = 0.75

VERIFY_PROMPT = """You check facts. You are given numbered sources and numbered claims. For each \
claim, score how strongly each source supports it, from 0 (not at all, or contradicted) to 1 \
(stated plainly). Judge only by what the sources say, not by your own knowledge. Answer with \
one entry per claim, listing one score per source in the sources' order."""


class ClaimScores(BaseModel):
    claim: int = Field(description="The claim's number")
    scores: list[float] = Field(description="For each source, in order: its support of the claim, 0-1")


class VerificationScores(BaseModel):
    """Support of each claim by each source."""

    claims: list[ClaimScores]


@inject
@dataclass
class VerificationService:
    settings: Settings
    source_loader: SourceLoader
    model_factory: LanguageModelFactory
    embeddings: Embeddings

    def verify(self, account_id: uuid.UUID, req: VerifyReq) -> VerifyResp:
        bounds = self.settings.aistack_rag
        if len(req.content) > bounds.aistack_rag_verify_max_content_chars:
            raise invalid_input("content", f"内容不能超过{bounds.aistack_rag_verify_max_content_chars}个字符")
        if len(req.sources) > bounds.aistack_rag_verify_max_sources:
            raise invalid_input("sources", f"来源不能超过{bounds.aistack_rag_verify_max_sources}个")
        claims = split_claims(req.content, bounds.aistack_rag_verify_max_claims) or [req.content]
        sources = self.source_loader.load(account_id, req.sources, bounds.aistack_rag_verify_source_chars)

        method, scores = "model", self._model_scores(claims, sources)
        if scores is None:
            method, scores = "similarity", self._similarity_scores(claims, sources)
        return _verdict(claims, sources, scores, method, bounds.aistack_rag_verify_threshold)

    def _model_scores(self, claims: list[str], sources: list[SourceText]) -> np.ndarray | None:
        """(claims × sources) scores from the model; None when it is not configured or fails."""
        rag = self.settings.aistack_rag
        provider = rag.aistack_rag_verify_model_provider or self.settings.agent.helper_model_provider
        model = rag.aistack_rag_verify_model or self.settings.agent.helper_model
        listed_sources = "\n\n".join(f"[Source {i}]\n{source.text}" for i, source in enumerate(sources, start=1))
        listed_claims = "\n".join(f"[Claim {i}] {claim}" for i, claim in enumerate(claims, start=1))
        messages = [SystemMessage(VERIFY_PROMPT), HumanMessage(f"Sources:\n{listed_sources}\n\nClaims:\n{listed_claims}")]
        try:
            answer = structured_answer_of(self.model_factory, provider, model, VerificationScores, messages)
        except StructuredAnswerUnavailable as exc:
            logger.warning("Verification by the model failed; falling back to similarity: %s", exc)
            return None
        scores = np.zeros((len(claims), len(sources)))
        for entry in answer.claims:
            if 1 <= entry.claim <= len(claims):
                given = entry.scores[: len(sources)]
                scores[entry.claim - 1, : len(given)] = given
        return np.clip(scores, 0.0, 1.0)

    def _similarity_scores(self, claims: list[str], sources: list[SourceText]) -> np.ndarray:
        claim_vectors = np.asarray(self.embeddings.embed_documents(claims))
        scores = np.zeros((len(claims), len(sources)))
        for column, source in enumerate(sources):
            sentences = split_claims(source.text, MAX_SOURCE_SENTENCES)
            if not sentences:
                continue
            sentence_vectors = np.asarray(self.embeddings.embed_documents(sentences))
            similarity = _normalized(claim_vectors) @ _normalized(sentence_vectors).T
            scores[:, column] = similarity.max(axis=1)
        return np.clip((scores - SIMILARITY_FLOOR) / (SIMILARITY_FULL - SIMILARITY_FLOOR), 0.0, 1.0)


def _normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


def _verdict(claims: list[str], sources: list[SourceText], scores: np.ndarray, method: str, threshold: float) -> VerifyResp:
    checks = []
    for row, claim in enumerate(claims):
        best = int(scores[row].argmax())
        support = float(scores[row, best])
        checks.append(
            ClaimCheck(
                claim=claim,
                supported=support >= threshold,
                support_score=round(support, 2),
                best_source=sources[best].source if support > 0 else None,
            )
        )
    confidence = float(scores.max(axis=1).mean())
    return VerifyResp(
        verified=all(check.supported for check in checks),
        confidence=round(confidence, 2),
        method=method,
        sources=[
            SourceSupport(source=source.source, support_score=round(float(scores[:, column].mean()), 2))
            for column, source in enumerate(sources)
        ],
        claims=checks,
    )
