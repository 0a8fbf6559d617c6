"""Background work of the self-learning system: a retraining job (Celery in production, the
in-process queue when embedded)."""

import uuid

from celery import shared_task
from flask import current_app

from .retrain_service import RETRAIN_TASK, RetrainService


@shared_task(name=RETRAIN_TASK)
def run_retrain_job(job_id: str) -> None:
    """Build, evaluate and submit a retraining's data set; its stage, artefacts and errors are
    recorded on the job's row."""
    current_app.extensions["injector"].get(RetrainService).run(uuid.UUID(job_id))
