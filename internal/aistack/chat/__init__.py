"""The OpenWebUI chat center (aistack-api.md "OpenWebUI交互中心", port 8020)."""
