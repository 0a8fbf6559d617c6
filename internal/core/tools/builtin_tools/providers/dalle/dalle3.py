"""Image generation with DALL·E 3 through an OpenAI-compatible `POST /images/generations`."""

from langchain_core.tools import ToolException

from internal.core.tools.builtin_tools.base import BuiltinTool

DEFAULT_OPENAI_API_BASE = "https://api.openai.com/v1"


class Dalle3Tool(BuiltinTool):
    size: str = "1024x1024"
    style: str = "vivid"

    def execute(self, query: str) -> str:
        providers = self.settings.providers
        api_key = self.require_setting(providers.openai_api_key, "OPENAI_API_KEY")
        base = (providers.openai_api_base or DEFAULT_OPENAI_API_BASE).rstrip("/")
        body = self.request_json(
            "POST",
            f"{base}/images/generations",
            headers={"Authorization": f"Bearer {api_key}"},
            json={"model": "dall-e-3", "prompt": query, "size": self.size, "style": self.style, "n": 1, "response_format": "url"},
            timeout=self.settings.builtin_tools.dalle_http_timeout,
        )
        images = body.get("data") if isinstance(body, dict) else None
        url = images[0].get("url") if images and isinstance(images[0], dict) else None
        if not url:
            raise ToolException(f"{self.name} got no image URL in the answer")
        return url
