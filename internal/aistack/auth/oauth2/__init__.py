"""The platform as an OAuth2 authorization server for AI Stack (v2.1) on Authlib: clients an
account registers, the authorization-code flow with PKCE, refresh with rotation, revocation
(RFC 6749, 7636, 7009). Scopes are the systems a token may call."""
