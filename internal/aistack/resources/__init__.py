"""AI Stack's resource management system (aistack-api.md "资源管理系统", port 8018)."""
