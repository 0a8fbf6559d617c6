"""Credentials for AI Stack ("认证"): access tokens for the platform's accounts, and (v2.1) the
platform as an OAuth2 authorization server. Their routes are served by every system."""
