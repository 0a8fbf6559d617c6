"""AI Stack v2.1 (aistack-api.md): nine systems served by this monolith on the platform's
accounts, models, knowledge pipeline and agent runtime. `gateway/` holds their shared
conventions; each system is a sub-package with its routes, schemas, service and models."""
