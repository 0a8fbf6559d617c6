"""The content creation system's routes, under /aistack/content and at /api/... on port 8016."""

from dataclasses import dataclass

from injector import inject

from .handler import PublishingHandler, WritingHandler


@inject
@dataclass
class ContentRoutes:
    writing: WritingHandler
    publishing: PublishingHandler

    def routes(self) -> list[tuple]:
        return [
            ("POST", "/api/content/generate", self.writing.generate),
            ("POST", "/api/content/optimize", self.writing.optimize),
            ("GET", "/api/content/platforms", self.writing.platforms),
            ("POST", "/api/content/publish", self.publishing.publish),
            ("GET", "/api/content/publications", self.publishing.list_publications),
            ("GET", "/api/content/publications/<uuid:publication_id>", self.publishing.get_publication),
            ("POST", "/api/content/publications/<uuid:publication_id>/cancel", self.publishing.cancel_publication),
            ("GET", "/api/content/analytics", self.publishing.analytics),
        ]
