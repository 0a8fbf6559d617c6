"""Improvement suggestions: the topics with most negative feedback, their negatively rated
interactions shown to the model, which answers one problem and suggestion per topic; the
evidence is those interactions' ids (ours, not the model's). No model configured is 503; a
configured model that fails or does not answer in shape gives way to a plain suggestion per
topic built from its keywords and figures (`method` "heuristic", `model_error` says why)."""

import logging
import uuid
from dataclasses import dataclass

from injector import inject
from pydantic import BaseModel, Field

from config import Settings
from internal.aistack.model_calls import ask_structured, configured_model
from internal.core.agent.agent_runner import describe_error
from internal.core.language_model.factory import LanguageModelFactory

from .models import Feedback
from .pattern_service import PatternService, Topic
from .schemas import Improvement, ImprovementsResp

logger = logging.getLogger(__name__)

MODEL_SETTINGS = "AISTACK_LEARNING_MODEL_PROVIDER、AISTACK_LEARNING_MODEL"
EVIDENCE_SHOWN = 5
SHOWN_CHARS = 600

IMPROVE_PROMPT = """You review a conversational AI system. You are given numbered topics of user \
requests, each with examples of exchanges users rated negatively. For each topic, state in one \
or two sentences what the responses got wrong (problem) and give one concrete, actionable \
change to the system's prompt, knowledge or behaviour (suggestion). Answer in the language of \
the examples. Answer once per topic, using its number."""


class TopicAdvice(BaseModel):
    topic: int = Field(description="The topic's number")
    problem: str = Field(description="What the negatively rated responses got wrong")
    suggestion: str = Field(description="One concrete change that would fix it")


class ImprovementAdvice(BaseModel):
    """Problems and suggestions, one per topic."""

    topics: list[TopicAdvice]


@inject
@dataclass
class ImprovementService:
    settings: Settings
    model_factory: LanguageModelFactory
    pattern_service: PatternService

    def improvements(self, account_id: uuid.UUID) -> ImprovementsResp:
        config = self.settings.aistack_learning
        llm = configured_model(
            self.model_factory, self.settings, config.aistack_learning_model_provider, config.aistack_learning_model,
            "改进建议模型", MODEL_SETTINGS,
        )  # fmt: skip
        disliked = [topic for topic in self.pattern_service.topics(account_id) if topic.rated(Feedback.NEGATIVE)]
        disliked.sort(key=lambda topic: (-len(topic.rated(Feedback.NEGATIVE)), -len(topic.rated(Feedback.NEGATIVE)) / len(topic.members)))
        chosen = disliked[: config.aistack_learning_improvement_clusters]
        if not chosen:
            return ImprovementsResp(improvements=[], analyzed_patterns=0, method="model")
        method, model_error = "model", None
        try:
            advice = ask_structured(llm, ImprovementAdvice, IMPROVE_PROMPT, _describe(chosen))
            by_topic = {entry.topic: entry for entry in advice.topics if entry.suggestion.strip()}
        except Exception as exc:
            logger.warning("Improvement suggestions by the model failed; suggesting from the figures", exc_info=True)
            method, model_error = "heuristic", f"改进建议模型调用失败：{describe_error(exc)}"
            by_topic = {number: _plain_advice(number, topic) for number, topic in enumerate(chosen, start=1)}
        improvements = []
        for number, topic in enumerate(chosen, start=1):
            entry = by_topic.get(number)
            if entry is None:
                continue
            pattern = topic.as_pattern(number)
            improvements.append(
                Improvement(
                    pattern_label=pattern.label,
                    keywords=pattern.keywords,
                    frequency=pattern.frequency,
                    negative_rate=pattern.negative_rate,
                    problem=entry.problem.strip(),
                    suggestion=entry.suggestion.strip(),
                    evidence=[member.id for member in topic.rated(Feedback.NEGATIVE)],
                )
            )
        return ImprovementsResp(improvements=improvements, analyzed_patterns=len(chosen), method=method, model_error=model_error)


def _plain_advice(number: int, topic: Topic) -> TopicAdvice:
    negatives, size = len(topic.rated(Feedback.NEGATIVE)), len(topic.members)
    return TopicAdvice(
        topic=number,
        problem=f"「{topic.label}」相关的{size}条交互中有{negatives}条回答收到负面反馈",
        suggestion=f"检查这些交互的回答，为「{topic.label}」类问题补充准确、具体的知识，或在提示词中加入处理这类问题的说明",
    )


def _describe(topics: list[Topic]) -> str:
    parts = []
    for number, topic in enumerate(topics, start=1):
        negatives = topic.rated(Feedback.NEGATIVE)
        lines = [f"[Topic {number}] keywords: {', '.join(topic.keywords) or '-'}; {len(negatives)} of {len(topic.members)} rated negative"]
        for example in negatives[:EVIDENCE_SHOWN]:
            lines.append(f"- User: {example.user_input[:SHOWN_CHARS]}\n  Response: {example.system_response[:SHOWN_CHARS]}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)
