"""GitHub's OAuth app flow; both base URLs are parameters so a local server can play GitHub."""

from urllib.parse import urlencode

import httpx

from .base import OAuth, OAuthError, OAuthUserInfo


class GithubOAuth(OAuth):
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        oauth_base: str = "https://github.com",
        api_base: str = "https://api.github.com",
        timeout: float = 10.0,
    ):
        super().__init__(client_id, client_secret, redirect_uri)
        self.oauth_base = oauth_base.rstrip("/")
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    def authorization_url(self, state: str = "") -> str:
        params = {"client_id": self.client_id, "redirect_uri": self.redirect_uri, "scope": "user:email"}
        if state:
            params["state"] = state
        query = urlencode(params)
        return f"{self.oauth_base}/login/oauth/authorize?{query}"

    def _request(self, method: str, url: str, **kwargs) -> dict | list:
        try:
            response = httpx.request(method, url, timeout=self.timeout, **kwargs)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OAuthError(f"GitHub request failed: {exc}") from exc

    def get_access_token(self, code: str) -> str:
        body = self._request(
            "POST",
            f"{self.oauth_base}/login/oauth/access_token",
            data={
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "code": code,
                "redirect_uri": self.redirect_uri,
            },
            headers={"Accept": "application/json"},
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            reason = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
            raise OAuthError(f"GitHub did not issue an access token: {reason or 'no token in response'}")
        return token

    def get_user_info(self, access_token: str) -> OAuthUserInfo:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/vnd.github+json"}
        user = self._request("GET", f"{self.api_base}/user", headers=headers)
        if not isinstance(user, dict) or "id" not in user:
            raise OAuthError("GitHub returned no user")
        # The profile's public email says nothing about ownership: only the emails endpoint
        # tells which addresses GitHub verified (and shows private ones).
        emails = self._request("GET", f"{self.api_base}/user/emails", headers=headers)
        entries = [e for e in emails if isinstance(e, dict) and e.get("email")] if isinstance(emails, list) else []
        verified = {e["email"].lower(): e for e in entries if e.get("verified") is True}
        public = user.get("email") or ""
        if public.lower() in verified:
            email, email_verified = public, True
        elif verified:
            chosen = next((e for e in verified.values() if e.get("primary")), next(iter(verified.values())))
            email, email_verified = chosen["email"], True
        else:
            email, email_verified = public or next((e["email"] for e in entries), ""), False
        if not email:
            raise OAuthError("GitHub account has no email")
        return OAuthUserInfo(
            id=str(user["id"]),
            name=user.get("name") or user.get("login") or email.split("@")[0],
            email=email,
            avatar=user.get("avatar_url") or "",
            email_verified=email_verified,
        )
