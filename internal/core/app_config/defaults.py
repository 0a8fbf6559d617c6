"""What a new app's draft holds before anyone edits it.

The model and its parameters are the document's "balanced" defaults (llmops-api.md §1.2). For the other
fields the document is silent; these choices keep a new app a plain chat bot: three rounds of
history, nothing bound, retrieval settings ready for when a dataset is bound, every optional
feature off except suggested questions after an answer (llmops-api-index.md D56), and `echo` as the voice.
"""

import copy
from typing import Any

CONFIG_FIELDS = (
    "model_config",
    "dialog_round",
    "preset_prompt",
    "tools",
    "workflows",
    "datasets",
    "retrieval_config",
    "long_term_memory",
    "opening_statement",
    "opening_questions",
    "speech_to_text",
    "text_to_speech",
    "review_config",
    "suggested_after_answer",
)

_DEFAULT_APP_CONFIG: dict[str, Any] = {
    "model_config": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "parameters": {
            "temperature": 0.5,
            "top_p": 0.85,
            "frequency_penalty": 0.2,
            "presence_penalty": 0.2,
            "max_tokens": 8192,
        },
    },
    "dialog_round": 3,
    "preset_prompt": "",
    "tools": [],
    "workflows": [],
    "datasets": [],
    "retrieval_config": {"retrieval_strategy": "semantic", "k": 4, "score": 0.5},
    "long_term_memory": {"enable": False},
    "opening_statement": "",
    "opening_questions": [],
    "speech_to_text": {"enable": False},
    "text_to_speech": {"enable": False, "voice": "echo", "auto_play": False},
    "review_config": {
        "enable": False,
        "keywords": [],
        "inputs_config": {"enable": False, "preset_response": ""},
        "outputs_config": {"enable": False},
    },
    "suggested_after_answer": {"enable": True},
}


def default_app_config() -> dict[str, Any]:
    """A fresh copy each call, so callers may change it."""
    return copy.deepcopy(_DEFAULT_APP_CONFIG)
