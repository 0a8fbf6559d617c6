"""SQLAlchemy models, one module per domain. Import them all here so Alembic sees them."""

from .account import Account, AccountOAuth
from .analysis import AppDailyStat, AppSeenId
from .api_key import ApiKey
from .api_tool import ApiTool, ApiToolProvider
from .app import App, AppConfig, AppConfigVersion, AppDatasetJoin
from .conversation import Conversation, Message, MessageAgentThought
from .dataset import (
    Dataset,
    DatasetQuery,
    Document,
    DocumentStatus,
    DocumentTerm,
    IndexCleanup,
    Segment,
    SegmentStatus,
    SegmentTerm,
)
from .end_user import EndUser
from .upload_file import UploadFile
from .wechat import WechatConfig, WechatEndUser
from .workflow import Workflow, WorkflowNodeRun, WorkflowRun

__all__ = [
    "Account",
    "AccountOAuth",
    "ApiKey",
    "ApiTool",
    "ApiToolProvider",
    "App",
    "AppConfig",
    "AppConfigVersion",
    "AppDailyStat",
    "AppSeenId",
    "AppDatasetJoin",
    "Conversation",
    "Dataset",
    "DatasetQuery",
    "Document",
    "DocumentStatus",
    "DocumentTerm",
    "EndUser",
    "IndexCleanup",
    "Message",
    "MessageAgentThought",
    "Segment",
    "SegmentStatus",
    "SegmentTerm",
    "UploadFile",
    "WechatConfig",
    "WechatEndUser",
    "Workflow",
    "WorkflowNodeRun",
    "WorkflowRun",
]
