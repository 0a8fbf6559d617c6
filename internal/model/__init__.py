"""SQLAlchemy models, one module per domain. Import them all here so Alembic sees them."""

from .account import Account, AccountOAuth
from .api_key import ApiKey
from .api_tool import ApiTool, ApiToolProvider
from .app import App, AppConfig, AppConfigVersion, AppDatasetJoin
from .dataset import Dataset, DatasetQuery, Document, Segment, SegmentTerm
from .upload_file import UploadFile

__all__ = [
    "Account",
    "AccountOAuth",
    "ApiKey",
    "ApiTool",
    "ApiToolProvider",
    "App",
    "AppConfig",
    "AppConfigVersion",
    "AppDatasetJoin",
    "Dataset",
    "DatasetQuery",
    "Document",
    "Segment",
    "SegmentTerm",
    "UploadFile",
]
