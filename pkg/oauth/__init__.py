from .base import OAuth, OAuthError, OAuthUserInfo
from .github import GithubOAuth

__all__ = ["GithubOAuth", "OAuth", "OAuthError", "OAuthUserInfo"]
