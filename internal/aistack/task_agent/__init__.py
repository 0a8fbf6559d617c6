"""AI Stack's task agent (aistack-api.md "任务代理", port 8017): tasks, their decomposition by the
model, and background runs of their steps on the platform's agent runtime."""
