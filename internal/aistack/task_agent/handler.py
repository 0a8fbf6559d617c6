"""The task agent's HTTP handlers: parse (by @aistack_endpoint), call one service method, answer
in AI Stack's envelope."""

from dataclasses import dataclass

from injector import inject

from internal.aistack.gateway.auth import current_account_id
from internal.aistack.gateway.endpoint import aistack_endpoint
from internal.aistack.gateway.envelope import created, success

from .run_service import TaskRunService
from .schemas import TASK_LIST, DecomposeReq, DecomposeResp, MonitorResp, TaskReq, TaskResp, TaskUpdateReq, monitor_of
from .service import TaskService

TASKS = "tasks"
MANAGE = ("任务管理",)
RUN = ("任务执行",)


@inject
@dataclass
class TaskHandler:
    service: TaskService
    runs: TaskRunService

    def _resp(self, task) -> TaskResp:
        return TaskResp.of(task, subtasks=self.service.subtasks(task.id))

    @aistack_endpoint(TASKS, body=TaskReq, resp=TaskResp, status=201, tags=MANAGE)
    def create_task(self, body: TaskReq):
        """创建任务"""
        return created(self._resp(self.service.create(current_account_id(), body)))

    @aistack_endpoint(TASKS, listing=TASK_LIST, resp=TaskResp, tags=MANAGE)
    def list_tasks(self, query):
        """获取任务列表（filter[status]、filter[priority]，按deadline/priority/created_at排序）"""
        rows, pagination = self.service.page(current_account_id(), query)
        return success([self._resp(row) for row in rows], pagination=pagination)

    @aistack_endpoint(TASKS, resp=TaskResp, tags=MANAGE)
    def get_task(self, task_id: int):
        """获取任务"""
        return success(self._resp(self.service.get(current_account_id(), task_id)))

    @aistack_endpoint(TASKS, body=TaskUpdateReq, resp=TaskResp, tags=MANAGE)
    def update_task(self, task_id: int, body: TaskUpdateReq):
        """更新任务"""
        return success(self._resp(self.service.update(current_account_id(), task_id, body)))

    @aistack_endpoint(TASKS, tags=MANAGE)
    def delete_task(self, task_id: int):
        """删除任务（执行中的任务需先取消）"""
        self.service.delete(current_account_id(), task_id)
        return success({"task_id": task_id, "deleted": True})

    @aistack_endpoint(TASKS, body=DecomposeReq, resp=DecomposeResp, extra_errors=(503,), tags=MANAGE)
    def decompose(self, body: DecomposeReq):
        """任务分解：模型给出子任务及预计工时；给出task_id时存为该任务的子任务"""
        return success(self.service.decompose(current_account_id(), body))

    @aistack_endpoint(TASKS, resp=MonitorResp, status=202, extra_errors=(503,), tags=RUN)
    def execute(self, task_id: int):
        """执行任务：后台按子任务逐步运行Agent"""
        task = self.runs.execute(current_account_id(), task_id)
        return success(monitor_of(task, self.service.subtasks(task_id)), status=202)

    @aistack_endpoint(TASKS, resp=MonitorResp, tags=RUN)
    def monitor(self, task_id: int):
        """任务监控：状态、进度、每一步的状态、耗时、工具调用和输出，以及最终结果"""
        return success(monitor_of(*self.runs.monitor(current_account_id(), task_id)))

    @aistack_endpoint(TASKS, resp=MonitorResp, tags=RUN)
    def cancel(self, task_id: int):
        """取消执行中的任务"""
        task = self.runs.cancel(current_account_id(), task_id)
        return success(monitor_of(task, self.service.subtasks(task_id)))
