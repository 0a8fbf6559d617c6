"""Celery worker entry point: `celery -A app.worker worker --loglevel INFO`.

Celery looks for an attribute named `app` before `celery`, so the Flask app is imported under
another name: `-A app.worker` must find the Celery application.
"""

from app.http.app import app as flask_app

celery = flask_app.extensions["celery"]
