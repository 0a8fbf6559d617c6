"""The authorization-code flow every OAuth provider client implements."""

from abc import ABC, abstractmethod
from dataclasses import dataclass


class OAuthError(Exception):
    """The provider refused the code or answered with something unusable."""


@dataclass
class OAuthUserInfo:
    id: str
    name: str
    email: str
    avatar: str = ""
    # Whether the provider vouches that the user owns `email`; only then may it reach an account.
    email_verified: bool = False


class OAuth(ABC):
    def __init__(self, client_id: str, client_secret: str, redirect_uri: str):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri

    @abstractmethod
    def authorization_url(self, state: str = "") -> str:
        """Where the browser goes to ask the user for consent; the provider sends `state` back
        unchanged with the code."""

    @abstractmethod
    def get_access_token(self, code: str) -> str: ...

    @abstractmethod
    def get_user_info(self, access_token: str) -> OAuthUserInfo: ...

    def user_info_for_code(self, code: str) -> OAuthUserInfo:
        return self.get_user_info(self.get_access_token(code))
