"""Workflows (llmops-api.md §11.1-11.9): base information, the draft graph editors autosave,
publishing. The debug run (11.10) has its own handler."""

import uuid
from dataclasses import dataclass

from injector import inject

from internal.middleware import current_account
from internal.schema.common import Page
from internal.schema.workflow import (
    CreateWorkflowReq,
    DraftGraphReq,
    DraftGraphResp,
    GetWorkflowsWithPageReq,
    UpdateWorkflowReq,
    WorkflowIdResp,
    WorkflowResp,
)
from internal.service.workflow_service import WorkflowService
from pkg.paginator import page_body
from pkg.response import Response, json, success_json, success_message

from .app_handler import builtin_tool_icon_url
from .endpoint import endpoint

_TAGS = ("workflows",)


@inject
@dataclass
class WorkflowHandler:
    workflow_service: WorkflowService

    @endpoint(query=GetWorkflowsWithPageReq, resp=Page[WorkflowResp], tags=_TAGS)
    def get_workflows_with_page(self, query: GetWorkflowsWithPageReq):
        """The account's workflows, newest first; filter by `status` and by name with `search_word`."""
        workflows, paginator = self.workflow_service.list_workflows(current_account().id, query)
        return success_json(page_body([WorkflowResp.render(workflow) for workflow in workflows], paginator))

    @endpoint(body=CreateWorkflowReq, resp=WorkflowIdResp, tags=_TAGS)
    def create_workflow(self, body: CreateWorkflowReq):
        """Create a workflow whose draft graph holds a start and an end node; `tool_call_name` is unique in the account."""
        workflow = self.workflow_service.create(current_account().id, body)
        return json(Response(data={"id": str(workflow.id)}, message="创建工作流成功"))

    @endpoint(resp=WorkflowResp, tags=_TAGS)
    def get_workflow(self, workflow_id: uuid.UUID):
        """One workflow's base information and state."""
        return success_json(WorkflowResp.render(self.workflow_service.get_workflow(current_account().id, workflow_id)))

    @endpoint(body=UpdateWorkflowReq, tags=_TAGS)
    def update_workflow(self, workflow_id: uuid.UUID, body: UpdateWorkflowReq):
        """Change a workflow's name, tool call name, icon and description."""
        self.workflow_service.update(current_account().id, workflow_id, body)
        return success_message("修改工作流基础信息成功")

    @endpoint(tags=_TAGS)
    def delete_workflow(self, workflow_id: uuid.UUID):
        """Delete a workflow; agents binding it lose the binding."""
        self.workflow_service.delete(current_account().id, workflow_id)
        return success_message("删除工作流成功")

    @endpoint(resp=DraftGraphResp, tags=_TAGS)
    def get_draft_graph(self, workflow_id: uuid.UUID):
        """The draft graph, every node complete enough for an editor to render."""
        return success_json(self.workflow_service.get_draft_graph(current_account().id, workflow_id, builtin_tool_icon_url))

    @endpoint(body=DraftGraphReq, tags=_TAGS)
    def update_draft_graph(self, workflow_id: uuid.UUID, body: DraftGraphReq):
        """Save the draft graph (shape-checked only); any change beyond node positions resets `is_debug_passed`."""
        self.workflow_service.save_draft_graph(current_account().id, workflow_id, body)
        return success_message("更新工作流图草稿配置成功")

    @endpoint(tags=_TAGS)
    def publish_workflow(self, workflow_id: uuid.UUID):
        """Publish the draft graph; only a workflow that passed debugging, validated again."""
        self.workflow_service.publish(current_account().id, workflow_id)
        return success_message("发布工作流成功")

    @endpoint(tags=_TAGS)
    def cancel_publish_workflow(self, workflow_id: uuid.UUID):
        """Unpublish a published workflow; agents binding it lose the binding for good."""
        self.workflow_service.cancel_publish(current_account().id, workflow_id)
        return success_message("取消发布工作流成功")
