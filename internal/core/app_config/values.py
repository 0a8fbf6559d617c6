"""Enumerations and limits of the app configuration (llmops-api.md §1.7-1.8)."""

from enum import Enum


class ToolType(str, Enum):
    BUILTIN_TOOL = "builtin_tool"
    API_TOOL = "api_tool"


RETRIEVAL_STRATEGIES = ("full_text", "semantic", "hybrid")

# The voices of OpenAI's text-to-speech API, which `text_to_speech.voice` names.
TTS_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")

MAX_DIALOG_ROUND = 100
MAX_PRESET_PROMPT_LENGTH = 2000
MAX_TOOLS = 50
MAX_WORKFLOWS = 10
MAX_DATASETS = 5
MAX_RETRIEVAL_K = 10
MAX_OPENING_STATEMENT_LENGTH = 2000
MAX_OPENING_QUESTIONS = 3
MAX_OPENING_QUESTION_LENGTH = 200
MAX_REVIEW_KEYWORDS = 100
MAX_REVIEW_KEYWORD_LENGTH = 100
MAX_PRESET_RESPONSE_LENGTH = 2000
