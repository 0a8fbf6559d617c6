"""Writing (POST /api/content/generate) and optimizing (POST /api/content/optimize) content with
the configured model. Each draft is checked against the platform's profile: a draft that breaks
a rule is written once more with the broken rules named, and what still exceeds a limit is cut."""

import logging
import re
from dataclasses import dataclass

from injector import inject
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from config import Settings
from internal.aistack.gateway.errors import ServiceUnavailableException
from internal.aistack.model_calls import ask_structured_or_text, configured_model
from internal.core.agent.agent_runner import describe_error
from internal.core.language_model.factory import LanguageModelFactory
from internal.extension.database import SQLAlchemy

from .profiles import Draft, PlatformProfile, profiles, render, trim, violations
from .schemas import GeneratedContent, GenerateReq, GenerateResp, OptimizeReq, OptimizeResp, ProfileCheck

logger = logging.getLogger(__name__)

# A tag in a plain-text answer: #tag or #tag# (weibo), not a markdown heading ("# ").
PLAIN_TAG = re.compile(r"[#＃]([^\s#＃]{1,30})[#＃]?")

STYLE_HINTS = {
    "professional": "专业、严谨，用准确的术语和事实",
    "casual": "轻松、口语化，像和朋友聊天",
    "humorous": "幽默风趣，适度玩梗但不失分寸",
    "emotional": "真挚、有感染力，引起共鸣",
    "educational": "科普讲解，由浅入深，举例说明",
    "storytelling": "以故事展开，有人物、情节和转折",
}

WRITER_PROMPT = """你是{label}的资深内容创作者。按下面的平台规则写作：
- 标题：{title_rule}
- 正文：{min_chars}到{max_chars}个字
- 话题标签：{tags_min}到{tags_max}个，每个不超过{tag_chars}个字，只写标签文字本身（不要带#号）
平台写作要点：
{hints}
只回答一次函数调用，给出 title、body、tags。"""

OPTIMIZER_EXTRA = """你的任务是优化用户给出的内容，使它更适合该平台{audience}。保留原意和事实，\
不要编造数据。在 changes 中逐条用中文说明你做了哪些修改。"""


class WrittenDraft(BaseModel):
    """A piece of content written for one platform."""

    title: str = Field(description="标题（平台不需要标题时可以为空）")
    body: str = Field(description="正文")
    tags: list[str] = Field(default_factory=list, description="话题标签，不带#号")


class OptimizedDraft(WrittenDraft):
    """The optimized content and what was changed."""

    changes: list[str] = Field(default_factory=list, description="做了哪些修改，每条一句")


@dataclass
class Written:
    draft: Draft
    answer: WrittenDraft
    check: ProfileCheck


@inject
@dataclass
class WritingService:
    db: SQLAlchemy
    settings: Settings
    model_factory: LanguageModelFactory

    def generate(self, req: GenerateReq) -> GenerateResp:
        profile = profiles()[req.platform.value]
        task = (
            f"主题：{req.topic}\n风格：{STYLE_HINTS[req.style.value]}\n"
            f"正文长度：约{profile.target_chars(req.length.value)}字"
        )
        written = self._write(profile, self._system_prompt(profile), task, WrittenDraft)
        return GenerateResp(
            topic=req.topic, style=req.style.value, length=req.length.value, **self._shown(profile, written)
        )

    def optimize(self, req: OptimizeReq) -> OptimizeResp:
        profile = profiles()[req.platform.value]
        audience = f"和目标读者（{req.target_audience}）" if req.target_audience else ""
        system = self._system_prompt(profile) + "\n" + OPTIMIZER_EXTRA.format(audience=audience)
        written = self._write(profile, system, f"原始内容：\n{req.content}", OptimizedDraft)
        changes = [change.strip() for change in written.answer.changes if change.strip()]
        if written.check.regenerated:
            changes.append("初稿不符合平台规则，已按规则重写")
        return OptimizeResp(
            target_audience=req.target_audience,
            original_content=req.content,
            changes=changes + written.check.adjustments,
            **self._shown(profile, written),
        )

    def _write(self, profile: PlatformProfile, system: str, task: str, schema: type[WrittenDraft]) -> Written:
        content = self.settings.aistack_content
        llm = configured_model(
            self.model_factory,
            self.settings,
            content.aistack_content_model_provider,
            content.aistack_content_model,
            "内容创作模型",
            "AISTACK_CONTENT_MODEL_PROVIDER、AISTACK_CONTENT_MODEL",
        )
        self.db.session.commit()  # nothing held open across the model's calls
        answer = self._ask(llm, schema, system, task)
        draft = _draft_of(answer)
        broken = violations(profile, draft)
        regenerated = False
        if broken:
            retry = f"{task}\n\n上一稿违反了平台规则：{'；'.join(broken)}。请修正这些问题后重写全文。"
            try:
                answer = self._ask(llm, schema, system, retry)
                draft, regenerated = _draft_of(answer), True
            except ServiceUnavailableException:
                # The first draft stands; the trim below makes what it can of it.
                logger.warning("Rewriting a %s draft failed; trimming the first one", profile.name)
        draft, adjustments = trim(profile, draft)
        remaining = violations(profile, draft)
        check = ProfileCheck(passed=not remaining, regenerated=regenerated, adjustments=adjustments, violations=remaining)
        return Written(draft=draft, answer=answer, check=check)

    @staticmethod
    def _ask(llm: BaseChatModel, schema: type[WrittenDraft], system: str, task: str) -> WrittenDraft:
        try:
            answer, reply = ask_structured_or_text(llm, schema, system, task)
        except Exception as exc:
            logger.warning("The content model failed", exc_info=True)
            raise ServiceUnavailableException(f"内容创作模型调用失败：{describe_error(exc)}") from None
        if answer is not None:
            return answer
        if not reply.strip():
            raise ServiceUnavailableException("内容创作模型没有返回内容")
        # A model that does not call functions still writes: its text is read as the draft.
        return schema.model_validate(_parse_plain(reply))

    @staticmethod
    def _system_prompt(profile: PlatformProfile) -> str:
        title_rule = f"必须有，不超过{profile.title.max_chars}个字" if profile.title.required else f"可选，不超过{profile.title.max_chars}个字"
        return WRITER_PROMPT.format(
            label=profile.label,
            title_rule=title_rule,
            min_chars=profile.body.min_chars,
            max_chars=profile.body.max_chars,
            tags_min=profile.tags.min,
            tags_max=profile.tags.max,
            tag_chars=profile.tags.max_chars,
            hints="\n".join(f"- {hint}" for hint in profile.hints),
        )

    @staticmethod
    def _shown(profile: PlatformProfile, written: Written) -> dict:
        draft = written.draft
        return GeneratedContent(
            platform=profile.name,
            title=draft.title,
            content=draft.body,
            tags=draft.tags,
            full_text=render(profile, draft),
            char_count=len(draft.body),
            check=written.check,
        ).model_dump()


def _parse_plain(reply: str) -> dict:
    """A draft from plain text: the first line is the title when more lines follow (markdown
    heading marks dropped), `#tags` are the tags, the rest is the body."""
    tags = list(dict.fromkeys(PLAIN_TAG.findall(reply)))
    text = PLAIN_TAG.sub("", reply).strip()
    first, _, rest = text.partition("\n")
    title, body = (first.strip().lstrip("#").strip(), rest.strip()) if rest.strip() else ("", text)
    return {"title": title, "body": body, "tags": tags, "changes": []}


def _draft_of(answer: WrittenDraft) -> Draft:
    return Draft(title=answer.title, body=answer.body, tags=answer.tags).normalized()
