"""Sentiment of a text: offline by snownlp for Chinese (its review-trained Bayes model ships in
the package) and VADER for English (its lexicon ships in the package), or by the configured model
with structured output when the setting asks for it — the offline analyzer answers if that model
is missing or fails, and the answer says which one spoke (`method`)."""

import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from injector import inject
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from config import Settings
from config.settings import SentimentBackend
from internal.core.language_model.factory import LanguageModelFactory
from internal.core.language_model.structured import StructuredAnswerUnavailable, structured_answer_of

logger = logging.getLogger(__name__)

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# snownlp's model was trained on shopping reviews and leans positive: a wider neutral band.
ZH_POSITIVE, ZH_NEGATIVE = 0.6, 0.4
# VADER's own thresholds on its compound score (-1..1).
EN_THRESHOLD = 0.05
LLM_PROMPT = (
    "You classify the sentiment of a text. Answer with sentiment (positive, negative or neutral), "
    "score (0 = entirely negative, 0.5 = neutral, 1 = entirely positive) and confidence (0..1)."
)


@dataclass(frozen=True)
class Sentiment:
    sentiment: str
    score: float
    confidence: float
    language: str
    method: str


class LlmSentiment(BaseModel):
    sentiment: Literal["positive", "negative", "neutral"]
    score: float = Field(ge=0, le=1)
    confidence: float = Field(ge=0, le=1)


def language_of(text: str) -> str:
    """zh when Chinese characters make up at least a fifth of the letters, else en."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return "zh" if cjk and cjk * 5 >= cjk + latin else "en"


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _polar_confidence(distance: float) -> float:
    return round(min(1.0, 0.5 + distance), 4)


def offline_sentiment(text: str) -> Sentiment:
    language = language_of(text)
    if language == "zh":
        from snownlp import SnowNLP

        score = float(SnowNLP(text).sentiments)
        if score >= ZH_POSITIVE or score <= ZH_NEGATIVE:
            label = "positive" if score >= ZH_POSITIVE else "negative"
            confidence = _polar_confidence(abs(score - 0.5))
        else:
            label, confidence = "neutral", round(1 - abs(score - 0.5) * 2, 4)
        return Sentiment(label, round(score, 4), confidence, language, "offline")
    compound = float(_vader().polarity_scores(text)["compound"])
    if abs(compound) >= EN_THRESHOLD:
        label = "positive" if compound > 0 else "negative"
        confidence = _polar_confidence(abs(compound) / 2)
    else:
        label, confidence = "neutral", round(1 - abs(compound) / EN_THRESHOLD * 0.5, 4)
    return Sentiment(label, round((compound + 1) / 2, 4), confidence, language, "offline")


@inject
@dataclass
class SentimentAnalyzer:
    settings: Settings
    model_factory: LanguageModelFactory

    def analyze(self, text: str) -> Sentiment:
        trends = self.settings.aistack_trends
        if trends.trends_sentiment_backend == SentimentBackend.LLM:
            provider = trends.trends_sentiment_model_provider or self.settings.agent.helper_model_provider
            model = trends.trends_sentiment_model or self.settings.agent.helper_model
            try:
                answer = structured_answer_of(self.model_factory, provider, model, LlmSentiment, [SystemMessage(LLM_PROMPT), HumanMessage(text)])
            except StructuredAnswerUnavailable as exc:
                logger.warning("Sentiment by the model failed, answering offline: %s", exc)
            else:
                return Sentiment(answer.sentiment, round(answer.score, 4), round(answer.confidence, 4), language_of(text), "llm")
        return offline_sentiment(text)
