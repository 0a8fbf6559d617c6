from .auth import (
    AuthKind,
    AuthMiddleware,
    current_account,
    current_account_id_or_none,
    current_api_key,
    current_token_claims,
)

__all__ = [
    "AuthKind",
    "AuthMiddleware",
    "current_account",
    "current_account_id_or_none",
    "current_api_key",
    "current_token_claims",
]
