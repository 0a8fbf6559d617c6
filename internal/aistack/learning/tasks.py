"""Background work of the self-learning system: a retraining job (Celery in production, the
in-process queue when embedded)."""

import uuid

from celery import shared_task
from flask import current_app

from .retrain_service import RETRAIN_TASK, SWEEP_RETRAIN_JOBS_TASK, RetrainService


@shared_task(name=RETRAIN_TASK)
def run_retrain_job(job_id: str) -> None:
    """Build, evaluate and submit a retraining's data set; its stage, artefacts and errors are
    recorded on the job's row."""
    current_app.extensions["injector"].get(RetrainService).run(uuid.UUID(job_id))


@shared_task(name=SWEEP_RETRAIN_JOBS_TASK)
def sweep_retrain_jobs() -> None:
    """Fail the jobs whose worker is gone (Celery beat, or a timer when embedded)."""
    current_app.extensions["injector"].get(RetrainService).sweep_stale_jobs()
