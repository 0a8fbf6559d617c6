"""The self-learning system's routes under /api/."""

from dataclasses import dataclass

from injector import inject

from .handler import LearningHandler


@inject
@dataclass
class LearningRoutes:
    handler: LearningHandler

    def routes(self) -> list[tuple]:
        h = self.handler
        return [
            ("POST", "/api/learning/interactions", h.record_interaction),
            ("GET", "/api/learning/interactions", h.list_interactions),
            ("GET", "/api/learning/interactions/<uuid:interaction_id>", h.get_interaction),
            ("POST", "/api/learning/messages/<uuid:message_id>/feedback", h.rate_message),
            ("GET", "/api/learning/patterns", h.patterns),
            ("GET", "/api/learning/improvements", h.improvements),
            ("POST", "/api/learning/retrain", h.retrain),
            ("GET", "/api/learning/retrain/<uuid:job_id>", h.get_retrain_job),
            ("GET", "/api/learning/retrain/<uuid:job_id>/dataset", h.retrain_dataset),
        ]
