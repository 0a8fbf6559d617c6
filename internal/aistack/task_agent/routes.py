"""The task agent's routes (aistack-api.md "任务代理"), under /aistack/tasks and on port 8017."""

from dataclasses import dataclass

from injector import inject

from .handler import TaskHandler


@inject
@dataclass
class TaskAgentRoutes:
    handler: TaskHandler

    def routes(self) -> list[tuple]:
        h = self.handler
        return [
            ("POST", "/api/tasks", h.create_task),
            ("GET", "/api/tasks", h.list_tasks),
            ("POST", "/api/tasks/decompose", h.decompose),
            ("GET", "/api/tasks/<int:task_id>", h.get_task),
            ("PUT", "/api/tasks/<int:task_id>", h.update_task),
            ("DELETE", "/api/tasks/<int:task_id>", h.delete_task),
            ("POST", "/api/tasks/<int:task_id>/execute", h.execute),
            ("GET", "/api/tasks/<int:task_id>/monitor", h.monitor),
            ("POST", "/api/tasks/<int:task_id>/cancel", h.cancel),
        ]
