"""Names of the background tasks services hand to the task queue.

Services enqueue by name, so they never import `internal/task` (which depends on them); the
Celery tasks there are registered under these names.
"""

BUILD_DOCUMENTS = "internal.task.document_task.build_documents"
DELETE_DOCUMENT = "internal.task.document_task.delete_document"
DELETE_DATASET = "internal.task.dataset_task.delete_dataset"
SWEEP_INDEXING = "internal.task.document_task.sweep_indexing"
FIRE_DUE_REMINDERS = "internal.aistack.chat.reminders.tasks.fire_due_reminders"
CHECK_STOCK_ORDERS = "internal.aistack.stock.tasks.check_stock_orders"
PUBLISH_DUE_CONTENT = "internal.aistack.content.tasks.publish_due_content"
EXECUTE_AGENT_TASK = "internal.aistack.task_agent.tasks.execute_agent_task"
SWEEP_AGENT_TASKS = "internal.aistack.task_agent.tasks.sweep_agent_tasks"
PURGE_OAUTH2_GRANTS = "internal.aistack.auth.oauth2.tasks.purge_oauth2_grants"
