"""HTTP handlers of the content creation system: parse, one service call, the envelope."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, success

from .analytics_service import ContentAnalyticsService
from .profiles import profiles
from .publishing_service import PublishingService
from .schemas import (
    PUBLICATION_LIST,
    AnalyticsQuery,
    AnalyticsResp,
    GenerateReq,
    GenerateResp,
    OptimizeReq,
    OptimizeResp,
    PlatformResp,
    PublicationResp,
    PublishReq,
)
from .writing_service import WritingService

SYSTEM = "content"


@inject
@dataclass
class WritingHandler:
    writing_service: WritingService

    @aistack_endpoint(SYSTEM, body=GenerateReq, resp=GenerateResp, extra_errors=(503,), tags=("内容生成",))
    def generate(self, body: GenerateReq):
        """Write content on a topic for a platform with the configured model, checked against the
        platform's profile (rewritten once, then trimmed, when it breaks a rule)."""
        return success(self.writing_service.generate(body))

    @aistack_endpoint(SYSTEM, body=OptimizeReq, resp=OptimizeResp, extra_errors=(503,), tags=("内容生成",))
    def optimize(self, body: OptimizeReq):
        """Rewrite content for a platform and audience; `changes` lists what changed."""
        return success(self.writing_service.optimize(body))

    @aistack_endpoint(SYSTEM, resp=list[PlatformResp], tags=("内容生成",))
    def platforms(self):
        """The platform profiles generation and optimization follow."""
        return success(
            [
                PlatformResp(
                    platform=p.name,
                    label=p.label,
                    title_required=p.title.required,
                    title_max_chars=p.title.max_chars,
                    body_min_chars=p.body.min_chars,
                    body_max_chars=p.body.max_chars,
                    tags_min=p.tags.min,
                    tags_max=p.tags.max,
                    tag_format=p.tags.format,
                    lengths=p.lengths,
                    hints=p.hints,
                )
                for p in profiles().values()
            ]
        )


@inject
@dataclass
class PublishingHandler:
    publishing_service: PublishingService
    analytics_service: ContentAnalyticsService

    @aistack_endpoint(SYSTEM, body=PublishReq, resp=PublicationResp, status=201, tags=("发布管理",))
    def publish(self, body: PublishReq):
        """Schedule a publication (at once when `scheduled_time` is absent or past)."""
        return created(PublicationResp.of(self.publishing_service.publish(current_account_id(), body)))

    @aistack_endpoint(SYSTEM, listing=PUBLICATION_LIST, resp=PublicationResp, tags=("发布管理",))
    def list_publications(self, query):
        publications, pagination = self.publishing_service.list(current_account_id(), query)
        return success([PublicationResp.of(p) for p in publications], pagination=pagination)

    @aistack_endpoint(SYSTEM, resp=PublicationResp, tags=("发布管理",))
    def get_publication(self, publication_id: uuid.UUID):
        return success(PublicationResp.of(self.publishing_service.get(current_account_id(), publication_id)))

    @aistack_endpoint(SYSTEM, resp=PublicationResp, tags=("发布管理",))
    def cancel_publication(self, publication_id: uuid.UUID):
        """Cancel a publication that has not started going out."""
        return success(PublicationResp.of(self.publishing_service.cancel(current_account_id(), publication_id)))

    @aistack_endpoint(SYSTEM, query=AnalyticsQuery, resp=AnalyticsResp, tags=("发布管理",))
    def analytics(self, query: AnalyticsQuery):
        """Publications of the period by platform and status, and the engagement platforms reported."""
        return success(self.analytics_service.analytics(current_account_id(), query.period))
