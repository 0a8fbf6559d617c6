"""An app's analysis page (llmops-api.md §14.1)."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.analysis import AnalysisResp
from internal.service.analysis_service import AnalysisService
from pkg.response import success_json

from .endpoint import endpoint

_TAGS = ("analysis",)


@inject
@dataclass
class AnalysisHandler:
    analysis_service: AnalysisService

    @endpoint(resp=AnalysisResp, tags=_TAGS)
    def get_app_analysis(self, app_id: uuid.UUID):
        """The app's figures over the last 7 days (today included) against the 7 days before, and
        their daily trends, counting every channel's messages whether or not the app is published."""
        return success_json(self.analysis_service.get_app_analysis(current_account().id, app_id))
