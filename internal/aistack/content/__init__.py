"""AI Stack's content creation system (aistack-api.md "内容创作系统", port 8016)."""
