"""Plays GitHub's OAuth token endpoint and the user API over real HTTP."""

import secrets
from dataclasses import dataclass

from .http_server import FakeServer, RecordedRequest, Reply


@dataclass
class GithubUser:
    id: int
    login: str
    name: str | None
    email: str | None  # None: private, only visible through /user/emails
    # What /user/emails answers; None: the public email alone, verified and primary.
    emails: list[dict] | None = None
    avatar_url: str = "https://avatars.example.com/u/1"


class FakeGithub(FakeServer):
    def __init__(self, client_id: str, client_secret: str):
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.codes: dict[str, GithubUser] = {}
        self.tokens: dict[str, GithubUser] = {}

    def issue_code(self, user: GithubUser) -> str:
        code = secrets.token_hex(10)
        self.codes[code] = user
        return code

    def route(self, request: RecordedRequest) -> Reply:
        if request.method == "POST" and request.path == "/login/oauth/access_token":
            form = request.form()
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return Reply(200, {"error": "incorrect_client_credentials"})
            user = self.codes.pop(form.get("code", ""), None)  # a code works once
            if user is None:
                return Reply(200, {"error": "bad_verification_code", "error_description": "The code is incorrect or expired."})
            token = "gho_" + secrets.token_hex(16)
            self.tokens[token] = user
            return Reply(200, {"access_token": token, "token_type": "bearer", "scope": "user:email"})

        auth = request.headers.get("authorization", "")
        user = self.tokens.get(auth.removeprefix("Bearer ").strip())
        if user is None:
            return Reply(401, {"message": "Bad credentials"})
        if request.method == "GET" and request.path == "/user":
            return Reply(200, {"id": user.id, "login": user.login, "name": user.name, "email": user.email, "avatar_url": user.avatar_url})
        if request.method == "GET" and request.path == "/user/emails":
            emails = user.emails
            if emails is None:
                emails = [{"email": user.email, "primary": True, "verified": True, "visibility": "public"}] if user.email else []
            return Reply(200, emails)
        return Reply(404, {"message": "Not Found"})
