"""The nine systems of AI Stack v2.1 (aistack-api.md "服务端口"): each is served on the main
server under `/aistack/<name>` and, faithful to the document, on a port of its own at `/`."""

from dataclasses import dataclass

PREFIX = "/aistack"


@dataclass(frozen=True)
class System:
    name: str  # the URL segment after /aistack/, and the OAuth2 scope of the system
    port: int
    title: str

    @property
    def prefix(self) -> str:
        return f"{PREFIX}/{self.name}"


SYSTEMS = (
    System("rag", 8011, "RAG知识检索系统"),
    System("erp", 8013, "ERP企业管理系统"),
    System("trends", 8014, "趋势分析系统"),
    System("stock", 8015, "股票交易系统"),
    System("content", 8016, "内容创作系统"),
    System("tasks", 8017, "智能任务代理"),
    System("resources", 8018, "资源管理系统"),
    System("learning", 8019, "自我学习系统"),
    System("chat", 8020, "OpenWebUI交互中心"),
)
SYSTEMS_BY_NAME = {system.name: system for system in SYSTEMS}


def system_of_path(path: str) -> System | None:
    """The system a request path of the main server belongs to, if any."""
    if not path.startswith(PREFIX + "/"):
        return None
    name = path[len(PREFIX) + 1 :].split("/", 1)[0]
    return SYSTEMS_BY_NAME.get(name)
