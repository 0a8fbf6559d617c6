from .auth import (
    AuthKind,
    AuthMiddleware,
    current_account,
    current_account_id_or_none,
    current_api_key,
    current_token_claims,
)
from .rate_limit import RateLimitMiddleware

__all__ = [
    "AuthKind",
    "AuthMiddleware",
    "current_account",
    "current_account_id_or_none",
    "current_api_key",
    "current_token_claims",
    "RateLimitMiddleware",
]
