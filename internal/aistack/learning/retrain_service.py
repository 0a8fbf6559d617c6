"""Retraining (POST /learning/retrain): a background job that holds out the newest positively
rated interactions, asks the model for an improved system prompt, evaluates both prompts on the
held-out inputs (similarity of their answers to the positively rated responses, in the local
embedding space), builds the fine-tuning data set (OpenAI chat JSONL, the better prompt as the
system message) from the rest and, when a fine-tuning provider is configured, submits it."""

import json
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from injector import inject
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select

from config import Settings
from internal.aistack.gateway.errors import invalid_input
from internal.aistack.model_calls import ask_structured, configured_model
from internal.core.agent.agent_runner import describe_error
from internal.core.language_model.factory import LanguageModelFactory
from internal.exception import CustomException
from internal.extension.database import utcnow
from internal.extension.task_queue import TaskQueue
from internal.service.base_service import BaseService

from .fine_tuning import FineTuningClient, FineTuningError
from .improvement_service import MODEL_SETTINGS
from .interaction_service import InteractionService
from .models import Feedback, Interaction, RetrainJob, RetrainStatus
from .pattern_service import InteractionText
from .schemas import RetrainReq

logger = logging.getLogger(__name__)

RETRAIN_TASK = "internal.aistack.learning.tasks.run_retrain_job"
SWEEP_RETRAIN_JOBS_TASK = "internal.aistack.learning.tasks.sweep_retrain_jobs"
# A queued job nobody started after this many times a running job's silence limit is lost (the
# embedded queue lives in memory; a restart drops it).
PENDING_PATIENCE = 10
JOB_NOT_FOUND = "重训练任务不存在"
EXAMPLES_SHOWN = 10
SHOWN_CHARS = 600
METRIC = "cosine_similarity_to_positive_response"

PROMPT_PROMPT = """You improve the system prompt of a conversational AI system. You are given \
its current system prompt, exchanges users rated positively and exchanges they rated \
negatively. Write a better system prompt: keep what the liked answers do, fix what the disliked \
ones got wrong. Write it in the language of the exchanges, at most 300 words."""


class ImprovedPrompt(BaseModel):
    """A better system prompt and why."""

    system_prompt: str = Field(description="The improved system prompt")
    rationale: str = Field(description="What it changes and why, in one or two sentences")


@inject
@dataclass
class RetrainService(BaseService):
    settings: Settings
    model_factory: LanguageModelFactory
    embeddings: Embeddings
    task_queue: TaskQueue
    interaction_service: InteractionService
    fine_tuning: FineTuningClient

    def start(self, account_id: uuid.UUID, req: RetrainReq) -> RetrainJob:
        needed = self.settings.aistack_learning.aistack_learning_min_examples
        have = len(self.interaction_service.positive(account_id))
        if have < needed:
            raise invalid_input("interactions", f"重训练至少需要{needed}条正面反馈的交互，当前只有{have}条")
        self._model()  # no usable model, or a fine-tuning provider that cannot be used: 503 now
        self.fine_tuning.endpoint()
        job = RetrainJob(account_id=account_id, model_type=req.model_type)
        self.db.session.add(job)
        self.db.session.commit()
        self.task_queue.enqueue(RETRAIN_TASK, str(job.id))
        return job

    def get(self, account_id: uuid.UUID, job_id: uuid.UUID) -> RetrainJob:
        return self.get_owned(RetrainJob, job_id, account_id, JOB_NOT_FOUND)

    def run(self, job_id: uuid.UUID) -> None:
        """The background job; a redelivered one that finished does nothing, one that did not
        starts over (its artefacts are written as it goes and replaced)."""
        job = self.db.session.get(RetrainJob, job_id)
        if job is None or job.status in (RetrainStatus.COMPLETED.value, RetrainStatus.FAILED.value):
            self.db.session.close()
            return
        try:
            self._run(job)
        except Exception as exc:
            self.db.session.rollback()
            if not isinstance(exc, (CustomException, FineTuningError)):
                logger.warning("Retraining job %s failed", job_id, exc_info=True)
            message = exc.message if isinstance(exc, CustomException) else str(exc) if isinstance(exc, FineTuningError) else describe_error(exc)
            self._update(job_id, status=RetrainStatus.FAILED.value, error=f"重训练失败：{message}"[:2000], completed_at=utcnow())

    def sweep_stale_jobs(self) -> None:
        """Fail the jobs whose worker is gone: running ones silent for longer than a model
        request and a broker redelivery take, queued ones never started long after. The caller
        starts another; nothing outside the job's row was written."""
        silence = self.settings.providers.llm_request_timeout + self.settings.celery.celery_visibility_timeout
        now = utcnow()
        stale = self.db.session.scalars(
            select(RetrainJob).where(
                or_(
                    and_(RetrainJob.status == RetrainStatus.RUNNING.value, RetrainJob.updated_at < now - timedelta(seconds=silence)),
                    and_(
                        RetrainJob.status == RetrainStatus.PENDING.value,
                        RetrainJob.updated_at < now - timedelta(seconds=silence * PENDING_PATIENCE),
                    ),
                )
            )
        ).all()
        for job in stale:
            job.status = RetrainStatus.FAILED.value
            job.error = "重训练中断（处理它的进程已退出），请重新发起"
            job.completed_at = now
        self.db.session.commit()

    def _run(self, job: RetrainJob) -> None:
        job_id, account_id, model_type = job.id, job.account_id, job.model_type
        config = self.settings.aistack_learning
        positives = [_text(row) for row in self.interaction_service.positive(account_id)]
        negatives = [_text(row) for row in self._negatives(account_id)]
        if len(positives) < 2:  # ratings changed since the job was accepted
            raise invalid_input("interactions", "正面反馈的交互不足2条")
        held = min(max(1, math.ceil(len(positives) * config.aistack_learning_holdout_share)), config.aistack_learning_max_evaluations)
        held = min(held, len(positives) - 1)
        training, holdout = positives[:-held], positives[-held:]
        self._update(
            job_id, status=RetrainStatus.RUNNING.value, stage="prompt", started_at=utcnow(),
            training_examples=len(training), holdout_examples=len(holdout), error="",
        )  # fmt: skip

        # The slow part, with no transaction open.
        llm = self._model()
        base_prompt = config.aistack_learning_base_prompt
        improved = ask_structured(llm, ImprovedPrompt, PROMPT_PROMPT, _prompt_request(base_prompt, training, negatives))
        improved_prompt = improved.system_prompt.strip() or base_prompt
        self._update(job_id, stage="evaluating", improved_prompt=improved_prompt)

        evaluation = self._evaluate(job_id, llm, base_prompt, improved_prompt, holdout)
        evaluation["rationale"] = improved.rationale
        chosen = improved_prompt if evaluation["prompt_improved"] else base_prompt
        dataset = chat_jsonl(chosen, training)
        self._update(job_id, stage="dataset", evaluation=evaluation, dataset_jsonl=dataset)

        endpoint = self.fine_tuning.endpoint()
        fine_tune = None
        if endpoint is not None:
            self._update(job_id, stage="submitting")
            fine_tune = self.fine_tuning.submit(endpoint, dataset, f"{model_type}-{job_id}.jsonl", model_type.replace("_", "-")[:18])
        self._update(job_id, status=RetrainStatus.COMPLETED.value, stage="done", fine_tune=fine_tune, completed_at=utcnow())

    def _evaluate(
        self, job_id: uuid.UUID, llm: BaseChatModel, base_prompt: str, improved_prompt: str, holdout: list[InteractionText]
    ) -> dict:
        cases: list[dict] = []
        for example in holdout:
            # Progress on the row (and a sign of life for the sweep) before each case.
            self._update(job_id, evaluation={"holdout_size": len(holdout), "evaluated": len(cases)})
            answers = [_answer(llm, prompt, example.user_input) for prompt in (base_prompt, improved_prompt)]
            vectors = _unit(np.asarray(self.embeddings.embed_documents([example.system_response, *answers])))
            baseline, improved = (float(vectors[0] @ vectors[k]) for k in (1, 2))
            cases.append(
                {"interaction_id": str(example.id), "baseline_similarity": round(baseline, 4), "improved_similarity": round(improved, 4)}
            )
        baseline_score = float(np.mean([case["baseline_similarity"] for case in cases]))
        improved_score = float(np.mean([case["improved_similarity"] for case in cases]))
        return {
            "metric": METRIC,
            "holdout_size": len(cases),
            "baseline_score": round(baseline_score, 4),
            "improved_score": round(improved_score, 4),
            "prompt_improved": improved_score > baseline_score,
            "cases": cases,
        }

    def _negatives(self, account_id: uuid.UUID) -> list[Interaction]:
        return list(
            self.db.session.scalars(
                select(Interaction)
                .where(Interaction.account_id == account_id, Interaction.feedback == Feedback.NEGATIVE.value)
                .order_by(Interaction.created_at.desc(), Interaction.id)
                .limit(EXAMPLES_SHOWN)
            ).all()
        )

    def _model(self) -> BaseChatModel:
        config = self.settings.aistack_learning
        return configured_model(
            self.model_factory, self.settings, config.aistack_learning_model_provider, config.aistack_learning_model,
            "重训练所需的模型", MODEL_SETTINGS,
        )  # fmt: skip

    def _update(self, job_id: uuid.UUID, **values) -> None:
        job = self.db.session.get(RetrainJob, job_id)
        for name, value in values.items():
            setattr(job, name, value)
        self.db.session.commit()


def chat_jsonl(system_prompt: str, examples: list[InteractionText]) -> str:
    """OpenAI's chat fine-tuning format: one {"messages": [system, user, assistant]} per line."""
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": system_prompt},
                    {"role": "user", "content": example.user_input},
                    {"role": "assistant", "content": example.system_response},
                ]
            },
            ensure_ascii=False,
        )
        for example in examples
    ]
    return "".join(line + "\n" for line in lines)


def _text(row: Interaction) -> InteractionText:
    return InteractionText(row.id, row.user_input, row.system_response, row.feedback)


def _prompt_request(base_prompt: str, liked: list[InteractionText], disliked: list[InteractionText]) -> str:
    def shown(examples: list[InteractionText]) -> str:
        return "\n".join(
            f"- User: {e.user_input[:SHOWN_CHARS]}\n  Response: {e.system_response[:SHOWN_CHARS]}" for e in examples[-EXAMPLES_SHOWN:]
        ) or "(none)"

    return f"Current system prompt:\n{base_prompt}\n\nRated positively:\n{shown(liked)}\n\nRated negatively:\n{shown(disliked)}"


def _answer(llm: BaseChatModel, system_prompt: str, user_input: str) -> str:
    reply = llm.invoke([SystemMessage(system_prompt), HumanMessage(user_input)])
    content = reply.content
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content if isinstance(part, dict))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)
