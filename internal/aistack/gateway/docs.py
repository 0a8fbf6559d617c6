"""Each system's own OpenAPI document, at `/docs` on its port and `/aistack/<system>/docs` on the
main server, generated from the schemas that validate its requests (as the platform's is)."""

from typing import Any

from flask import Flask, redirect
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from spectree.models import SecureType, Server

from internal.aistack.systems import SYSTEMS, System

from .envelope import Failure

SECURITY = {"bearer": []}


class SystemDoc(SpecTree):
    """A system's document: only its routes (strict mode), paths as its port serves them."""

    def __init__(self, system: System):
        super().__init__(
            "flask",
            title=f"AI Stack {system.title} API",
            version="2.1.0",
            path=f"{system.prefix.lstrip('/')}/docs",
            mode="strict",
            annotations=False,
            validation_error_status=400,
            validation_error_model=Failure,
            servers=[
                Server(url=f"http://localhost:{system.port}", description="本系统端口"),
                Server(url=system.prefix, description="主服务器上的前缀"),
            ],
            security_schemes=[
                SecurityScheme(
                    name="bearer",
                    data=SecuritySchemeData(
                        type=SecureType.HTTP,
                        scheme="bearer",
                        description="POST /api/auth/token 的access_token、平台API密钥(llmops-v1/…)或OAuth2访问令牌",
                    ),
                )
            ],
            naming_strategy=lambda model: model.__name__.replace("[", "_").replace("]", "").replace(",", "_"),
        )
        self.system = system

    def _generate_spec(self) -> dict[str, Any]:
        spec = super()._generate_spec()
        prefix = self.system.prefix
        spec["paths"] = {path.removeprefix(prefix): item for path, item in spec["paths"].items()}
        return spec


SYSTEM_DOCS = {system.name: SystemDoc(system) for system in SYSTEMS}


def register_docs(app: Flask) -> None:
    for name, doc in SYSTEM_DOCS.items():
        doc.register(app)
        page = f"{doc.system.prefix}/docs/swagger/"
        # An "openapi…" endpoint: spectree leaves it out of every document.
        app.add_url_rule(f"{doc.system.prefix}/docs", f"openapi_aistack_{name}_docs", lambda page=page: redirect(page))
