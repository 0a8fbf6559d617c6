"""The periodic purge of expired OAuth2 codes and tokens (Celery beat in production, a timer
when embedded)."""

from celery import shared_task
from flask import current_app

from internal.service import task_names

from .store import OAuth2Store


@shared_task(name=task_names.PURGE_OAUTH2_GRANTS)
def purge_oauth2_grants() -> None:
    current_app.extensions["injector"].get(OAuth2Store).purge_expired()
