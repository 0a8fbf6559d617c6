"""Every AI Stack model, imported so that Alembic (`flask db`) sees their tables: one line per
system or shared part."""

from .auth.oauth2.models import OAuth2AuthorizationCode, OAuth2Client, OAuth2Token
from .erp import models as erp_models

__all__ = ["OAuth2AuthorizationCode", "OAuth2Client", "OAuth2Token", "erp_models"]
