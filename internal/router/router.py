"""Every URL of the API, mapped to its handler method, in one route group per audience, each
with its own default authentication:

- console (this module's `routes`): the platform's own front end, signed in with a JWT;
- open API (`openapi.py`): developers' programs, with an API key;
- web app (`web_app.py`): people using a published app, with a JWT, the URL naming the app;
- webhooks (`webhooks.py`): other platforms calling back, checked by their own signatures.

A handler that declares `auth` in its @endpoint keeps it (public console routes: sign-in, icons).
"""

from dataclasses import dataclass

from flask import Flask
from injector import inject

from internal.handler.account_handler import AccountHandler
from internal.handler.ai_handler import AIHandler
from internal.handler.analysis_handler import AnalysisHandler
from internal.handler.api_key_handler import ApiKeyHandler
from internal.handler.audio_handler import AudioHandler
from internal.handler.api_tool_handler import ApiToolHandler
from internal.handler.app_handler import AppHandler
from internal.handler.app_publish_handler import AppPublishHandler
from internal.handler.assistant_agent_handler import AssistantAgentHandler
from internal.handler.auth_handler import AuthHandler
from internal.handler.builtin_app_handler import BuiltinAppHandler
from internal.handler.builtin_tool_handler import BuiltinToolHandler
from internal.handler.dataset_hit_handler import DatasetHitHandler
from internal.handler.conversation_handler import ConversationHandler
from internal.handler.debug_chat_handler import DebugChatHandler
from internal.handler.debug_conversation_handler import DebugConversationHandler
from internal.handler.dataset_handler import DatasetHandler
from internal.handler.document_handler import DocumentHandler
from internal.handler.language_model_handler import LanguageModelHandler
from internal.handler.oauth_handler import OAuthHandler
from internal.handler.segment_handler import SegmentHandler
from internal.handler.upload_file_handler import UploadFileHandler
from internal.handler.wechat_config_handler import WechatConfigHandler
from internal.handler.workflow_debug_handler import WorkflowDebugHandler
from internal.handler.workflow_handler import WorkflowHandler
from internal.middleware import AuthKind

from .openapi import OpenApiRoutes
from .route_group import RouteGroup
from .web_app import WebAppRoutes
from .webhooks import WebhookRoutes


@inject
@dataclass
class Router:
    auth_handler: AuthHandler
    oauth_handler: OAuthHandler
    account_handler: AccountHandler
    api_key_handler: ApiKeyHandler
    api_tool_handler: ApiToolHandler
    builtin_tool_handler: BuiltinToolHandler
    upload_file_handler: UploadFileHandler
    dataset_hit_handler: DatasetHitHandler
    dataset_handler: DatasetHandler
    document_handler: DocumentHandler
    segment_handler: SegmentHandler
    language_model_handler: LanguageModelHandler
    app_handler: AppHandler
    app_publish_handler: AppPublishHandler
    builtin_app_handler: BuiltinAppHandler
    debug_chat_handler: DebugChatHandler
    debug_conversation_handler: DebugConversationHandler
    conversation_handler: ConversationHandler
    ai_handler: AIHandler
    audio_handler: AudioHandler
    wechat_config_handler: WechatConfigHandler
    workflow_handler: WorkflowHandler
    workflow_debug_handler: WorkflowDebugHandler
    analysis_handler: AnalysisHandler
    assistant_agent_handler: AssistantAgentHandler
    open_api_routes: OpenApiRoutes
    web_app_routes: WebAppRoutes
    webhook_routes: WebhookRoutes

    def groups(self) -> list[RouteGroup]:
        # The console's blueprint keeps the name its endpoints have always had (`llmops.…`).
        return [
            RouteGroup("llmops", AuthKind.JWT, self.routes()),
            self.open_api_routes.group(),
            self.open_api_routes.openai_compatible_group(),
            self.web_app_routes.group(),
            self.webhook_routes.group(),
        ]

    def routes(self) -> list[tuple[str, str, object]]:
        """The console's routes."""
        return [
            # 01 apps
            ("GET", "/apps", self.app_handler.get_apps_with_page),
            ("POST", "/apps", self.app_handler.create_app),
            ("GET", "/apps/<uuid:app_id>", self.app_handler.get_app),
            ("POST", "/apps/<uuid:app_id>", self.app_handler.update_app),
            ("POST", "/apps/<uuid:app_id>/copy", self.app_handler.copy_app),
            ("POST", "/apps/<uuid:app_id>/delete", self.app_handler.delete_app),
            ("GET", "/apps/<uuid:app_id>/draft-app-config", self.app_handler.get_draft_app_config),
            ("POST", "/apps/<uuid:app_id>/draft-app-config", self.app_handler.update_draft_app_config),
            ("POST", "/apps/<uuid:app_id>/conversations", self.debug_chat_handler.debug_chat),
            (
                "POST",
                "/apps/<uuid:app_id>/conversations/tasks/<uuid:task_id>/stop",
                self.debug_chat_handler.stop_debug_chat,
            ),
            ("GET", "/apps/<uuid:app_id>/summary", self.debug_conversation_handler.get_debug_conversation_summary),
            ("POST", "/apps/<uuid:app_id>/summary", self.debug_conversation_handler.update_debug_conversation_summary),
            (
                "GET",
                "/apps/<uuid:app_id>/conversations/messages",
                self.debug_conversation_handler.get_debug_conversation_messages_with_page,
            ),
            (
                "POST",
                "/apps/<uuid:app_id>/conversations/delete-debug-conversation",
                self.debug_conversation_handler.delete_debug_conversation,
            ),
            ("POST", "/apps/<uuid:app_id>/publish", self.app_publish_handler.publish),
            ("POST", "/apps/<uuid:app_id>/cancel-publish", self.app_publish_handler.cancel_publish),
            ("GET", "/apps/<uuid:app_id>/publish-histories", self.app_publish_handler.get_publish_histories_with_page),
            ("POST", "/apps/<uuid:app_id>/fallback-history", self.app_publish_handler.fallback_history_to_draft),
            ("GET", "/apps/<uuid:app_id>/published-config", self.app_publish_handler.get_published_config),
            (
                "POST",
                "/apps/<uuid:app_id>/published-config/regenerate-web-app-token",
                self.app_publish_handler.regenerate_web_app_token,
            ),
            # 10 builtin apps
            ("GET", "/builtin-apps/categories", self.builtin_app_handler.get_builtin_app_categories),
            ("GET", "/builtin-apps", self.builtin_app_handler.get_builtin_apps),
            ("POST", "/builtin-apps/add-builtin-app-to-space", self.builtin_app_handler.add_builtin_app_to_space),
            ("GET", "/builtin-apps/<uuid:builtin_app_id>/icon", self.builtin_app_handler.get_builtin_app_icon),
            # 02 builtin tools
            ("GET", "/builtin-tools", self.builtin_tool_handler.get_builtin_tools),
            ("GET", "/builtin-tools/categories", self.builtin_tool_handler.get_categories),
            ("GET", "/builtin-tools/<string:provider_name>/tools/<string:tool_name>", self.builtin_tool_handler.get_provider_tool),
            ("GET", "/builtin-tools/<string:provider_name>/icon", self.builtin_tool_handler.get_provider_icon),
            # 02 api tools
            ("GET", "/api-tools", self.api_tool_handler.get_api_tool_providers_with_page),
            ("POST", "/api-tools", self.api_tool_handler.create_api_tool_provider),
            ("POST", "/api-tools/validate-openapi-schema", self.api_tool_handler.validate_openapi_schema),
            ("GET", "/api-tools/<uuid:provider_id>", self.api_tool_handler.get_api_tool_provider),
            ("POST", "/api-tools/<uuid:provider_id>", self.api_tool_handler.update_api_tool_provider),
            ("POST", "/api-tools/<uuid:provider_id>/delete", self.api_tool_handler.delete_api_tool_provider),
            ("GET", "/api-tools/<uuid:provider_id>/tools/<string:tool_name>", self.api_tool_handler.get_api_tool),
            # 03 upload files
            ("POST", "/upload-files/file", self.upload_file_handler.upload_file),
            ("POST", "/upload-files/image", self.upload_file_handler.upload_image),
            ("GET", "/upload-files/<uuid:upload_file_id>/signed-url", self.upload_file_handler.signed_link),
            ("GET", "/upload-files/<path:key>", self.upload_file_handler.serve_upload_file),
            # 04 hit testing
            ("POST", "/datasets/<uuid:dataset_id>/hit", self.dataset_hit_handler.hit),
            ("GET", "/datasets/<uuid:dataset_id>/queries", self.dataset_hit_handler.get_dataset_queries),
            # 04 datasets (the static batch route is safe: document ids only match uuids)
            ("GET", "/datasets", self.dataset_handler.get_datasets_with_page),
            ("POST", "/datasets", self.dataset_handler.create_dataset),
            ("GET", "/datasets/<uuid:dataset_id>", self.dataset_handler.get_dataset),
            ("POST", "/datasets/<uuid:dataset_id>", self.dataset_handler.update_dataset),
            ("POST", "/datasets/<uuid:dataset_id>/delete", self.dataset_handler.delete_dataset),
            ("GET", "/datasets/<uuid:dataset_id>/documents", self.document_handler.get_documents_with_page),
            ("POST", "/datasets/<uuid:dataset_id>/documents", self.document_handler.create_documents),
            ("GET", "/datasets/<uuid:dataset_id>/documents/batch/<string:batch>", self.document_handler.get_documents_status),
            ("GET", "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>", self.document_handler.get_document),
            ("POST", "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/name", self.document_handler.update_document_name),
            (
                "POST",
                "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/enabled",
                self.document_handler.update_document_enabled,
            ),
            ("POST", "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/delete", self.document_handler.delete_document),
            (
                "GET",
                "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments",
                self.segment_handler.get_segments_with_page,
            ),
            (
                "POST",
                "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments",
                self.segment_handler.create_segment,
            ),
            (
                "GET",
                "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments/<uuid:segment_id>",
                self.segment_handler.get_segment,
            ),
            (
                "POST",
                "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments/<uuid:segment_id>",
                self.segment_handler.update_segment,
            ),
            (
                "POST",
                "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments/<uuid:segment_id>/enabled",
                self.segment_handler.update_segment_enabled,
            ),
            (
                "POST",
                "/datasets/<uuid:dataset_id>/documents/<uuid:document_id>/segments/<uuid:segment_id>/delete",
                self.segment_handler.delete_segment,
            ),
            # 11 workflows
            ("GET", "/workflows", self.workflow_handler.get_workflows_with_page),
            ("POST", "/workflows", self.workflow_handler.create_workflow),
            ("GET", "/workflows/<uuid:workflow_id>", self.workflow_handler.get_workflow),
            ("POST", "/workflows/<uuid:workflow_id>", self.workflow_handler.update_workflow),
            ("POST", "/workflows/<uuid:workflow_id>/delete", self.workflow_handler.delete_workflow),
            ("GET", "/workflows/<uuid:workflow_id>/draft-graph", self.workflow_handler.get_draft_graph),
            ("POST", "/workflows/<uuid:workflow_id>/draft-graph", self.workflow_handler.update_draft_graph),
            ("POST", "/workflows/<uuid:workflow_id>/publish", self.workflow_handler.publish_workflow),
            ("POST", "/workflows/<uuid:workflow_id>/cancel-publish", self.workflow_handler.cancel_publish_workflow),
            ("POST", "/workflows/<uuid:workflow_id>/debug", self.workflow_debug_handler.debug_workflow),
            # beyond the contract: the stored runs
            ("GET", "/workflows/<uuid:workflow_id>/runs", self.workflow_debug_handler.get_workflow_runs_with_page),
            ("GET", "/workflows/<uuid:workflow_id>/runs/<uuid:run_id>", self.workflow_debug_handler.get_workflow_run),
            # 14 analysis
            ("GET", "/analysis/<uuid:app_id>", self.analysis_handler.get_app_analysis),
            # 13 assistant agent (and, beyond the contract, the icon of the apps it creates)
            ("POST", "/assistant-agent/chat", self.assistant_agent_handler.assistant_agent_chat),
            ("POST", "/assistant-agent/chat/<uuid:task_id>/stop", self.assistant_agent_handler.stop_assistant_agent_chat),
            ("GET", "/assistant-agent/messages", self.assistant_agent_handler.get_assistant_agent_messages_with_page),
            (
                "POST",
                "/assistant-agent/delete-conversation",
                self.assistant_agent_handler.delete_assistant_agent_conversation,
            ),
            ("GET", "/assistant-agent/app-icon", self.assistant_agent_handler.get_assistant_agent_app_icon),
            # 12 language models (the static icon route before the model route)
            ("GET", "/language-models", self.language_model_handler.get_language_models),
            ("GET", "/language-models/<string:provider_name>/icon", self.language_model_handler.get_language_model_icon),
            (
                "GET",
                "/language-models/<string:provider_name>/<string:model_name>",
                self.language_model_handler.get_language_model,
            ),
            # 05 conversations (the alias without /delete deletes the message too)
            (
                "GET",
                "/conversations/<uuid:conversation_id>/messages",
                self.conversation_handler.get_conversation_messages_with_page,
            ),
            ("POST", "/conversations/<uuid:conversation_id>/delete", self.conversation_handler.delete_conversation),
            (
                "POST",
                "/conversations/<uuid:conversation_id>/messages/<uuid:message_id>/delete",
                self.conversation_handler.delete_message,
            ),
            (
                "POST",
                "/conversations/<uuid:conversation_id>/messages/<uuid:message_id>",
                self.conversation_handler.delete_message,
            ),
            ("GET", "/conversations/<uuid:conversation_id>/name", self.conversation_handler.get_conversation_name),
            ("POST", "/conversations/<uuid:conversation_id>/name", self.conversation_handler.update_conversation_name),
            (
                "POST",
                "/conversations/<uuid:conversation_id>/is-pinned",
                self.conversation_handler.update_conversation_is_pinned,
            ),
            # 06 auth
            ("GET", "/oauth/<string:provider_name>", self.oauth_handler.provider),
            ("POST", "/oauth/authorize/<string:provider_name>", self.oauth_handler.authorize),
            ("POST", "/auth/password-login", self.auth_handler.password_login),
            ("POST", "/auth/logout", self.auth_handler.logout),
            # 07 account
            ("GET", "/account", self.account_handler.get_current_account),
            ("POST", "/account/password", self.account_handler.update_password),
            ("POST", "/account/name", self.account_handler.update_name),
            ("POST", "/account/avatar", self.account_handler.update_avatar),
            # 08 AI helpers
            ("POST", "/ai/optimize-prompt", self.ai_handler.optimize_prompt),
            ("POST", "/ai/suggested-questions", self.ai_handler.suggested_questions),
            # 09 open API keys
            ("GET", "/openapi/api-keys", self.api_key_handler.get_api_keys_with_page),
            ("POST", "/openapi/api-keys", self.api_key_handler.create_api_key),
            ("POST", "/openapi/api-keys/<uuid:api_key_id>", self.api_key_handler.update_api_key),
            ("POST", "/openapi/api-keys/<uuid:api_key_id>/delete", self.api_key_handler.delete_api_key),
            ("POST", "/openapi/api-keys/<uuid:api_key_id>/is-active", self.api_key_handler.update_api_key_is_active),
            # 16 speech to text and back
            ("POST", "/audio/audio-to-text", self.audio_handler.audio_to_text),
            ("POST", "/audio/message-to-audio", self.audio_handler.message_to_audio),
            # 17 WeChat official account (the webhook authenticates by WeChat's signature)
            ("GET", "/platform/<uuid:app_id>/wechat-config", self.wechat_config_handler.get_wechat_config),
            ("POST", "/platform/<uuid:app_id>/wechat-config", self.wechat_config_handler.update_wechat_config),
        ]

    def register_to(self, app: Flask) -> None:
        for group in self.groups():
            group.register_to(app)
