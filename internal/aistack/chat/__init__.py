"""AI Stack's OpenWebUI chat center (aistack-api.md "OpenWebUI交互中心", port 8020): chat
sessions on the platform's agent runtime, their saved context, and conversation export."""
