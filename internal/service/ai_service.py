"""The AI helpers (llmops-api.md §8): rewriting a preset prompt and suggesting follow-up questions,
both answered by the helper model named in the agent settings."""

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from injector import inject
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from config import Settings
from internal.core.agent import prompts
from internal.core.agent.agent_runner import describe_error
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import FailException, ValidateErrorException

from .base_service import BaseService
from .conversation_service import ConversationService

logger = logging.getLogger(__name__)

MAX_SUGGESTED_QUESTIONS = 3
MESSAGE_NOT_FOUND = "该消息不存在或无权限访问"
# "1. ", "2)", "3、", "(1)", "- ", "* ", "• ", "Q1:" at the start of a line (not the "3." of "3.14").
_LINE_MARKER = re.compile(r"^\s*(?:[-*•·]+|[qQ]?\d+\s*(?:[.．](?!\d)|[)）、:：])|[(（]\d+[)）])\s*")
_QUOTES = "\"'“”‘’「」『』`"


@dataclass(frozen=True)
class PromptChunk:
    """One piece of the optimized prompt, or the reason the model stopped (`error`)."""

    text: str = ""
    error: str | None = None


def parse_questions(reply: str) -> list[str]:
    """The model's reply as at most three questions: one per line, numbering, bullets and quotes gone."""
    questions: list[str] = []
    for line in reply.splitlines():
        question = _LINE_MARKER.sub("", line).strip().strip(_QUOTES).strip()
        if question and question not in questions:
            questions.append(question)
        if len(questions) == MAX_SUGGESTED_QUESTIONS:
            break
    return questions


@inject
@dataclass
class AIService(BaseService):
    settings: Settings
    model_factory: LanguageModelFactory
    conversation_service: ConversationService

    def optimize_prompt(self, prompt: str) -> Iterator[PromptChunk]:
        """Refuses a misconfigured helper model at once; the returned iterator then streams the
        rewrite and ends with an error chunk if the model fails along the way."""
        llm = self._helper_model()
        # Nothing may stay open on the request's connection while the stream runs.
        self.db.session.commit()
        return self._stream_rewrite(llm, prompt)

    def suggested_questions(self, account_id: uuid.UUID, message_id: uuid.UUID) -> list[str]:
        message = self.conversation_service.get_own_message(account_id, message_id, MESSAGE_NOT_FOUND)
        prompt = prompts.SUGGESTED_QUESTIONS_PROMPT.format(query=message.query, answer=message.answer)
        llm = self._helper_model()
        # The model call happens outside any open transaction.
        self.db.session.commit()
        try:
            reply = llm.invoke([HumanMessage(prompt)])
        except Exception as exc:
            logger.warning("Suggesting questions for message %s failed", message_id, exc_info=True)
            raise FailException(f"生成建议问题失败：{describe_error(exc)}") from None
        return parse_questions(reply.text)

    def _helper_model(self) -> BaseChatModel:
        agent = self.settings.agent
        try:
            resolved = self.model_factory.resolve(agent.helper_model_provider, agent.helper_model)
        except ValidateErrorException as exc:
            # The server's configuration is wrong, not the request: no field of the caller's to name.
            raise FailException(f"辅助模型配置有误（HELPER_MODEL_PROVIDER、HELPER_MODEL）：{exc.message}") from None
        return self.model_factory.build(resolved)

    @staticmethod
    def _stream_rewrite(llm: BaseChatModel, prompt: str) -> Iterator[PromptChunk]:
        chunks = llm.stream([SystemMessage(prompts.OPTIMIZE_PROMPT), HumanMessage(prompt)])
        try:
            for chunk in chunks:
                if chunk.text:
                    yield PromptChunk(text=chunk.text)
        except Exception as exc:
            logger.warning("Optimizing a prompt failed mid-stream", exc_info=True)
            yield PromptChunk(error=f"优化Prompt失败：{describe_error(exc)}")
        finally:
            # A client that went away closes this generator; the model's connection goes with it.
            chunks.close()
