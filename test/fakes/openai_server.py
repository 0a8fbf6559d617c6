"""Plays an OpenAI-compatible API under {url}/v1 with a bearer key, recording every request.

Endpoints are entries of `routes` ("METHOD /path" -> handler), so a new one (audio) is a method
plus one line in `__init__`. Any route can be scripted with `fail_next` / `reply_next`.
Implemented:
- POST /v1/embeddings, with deterministic vectors (`fake_embedding`).
- POST /v1/chat/completions, plain and streamed (SSE), with tool calls and usage. Tests script
  replies with `script_chat(match, ChatReply(...))`; anything unscripted gets "Echo: <last user
  message>". `chat_requests()` returns the request bodies received.
- POST /v1/audio/transcriptions (multipart `file` + `model`): the file must decode as audio of a
  format OpenAI takes; answers `{"text"}` from `script_transcription(...)`, else "transcript
  of <file name>". `transcriptions()` returns the parsed uploads.
- POST /v1/audio/speech (JSON `model`, `input`, `voice`): streams a real MP3 (a tone whose pitch
  depends on the input, `speech_audio(input)`) in chunks of `speech_chunk_bytes`.
- POST /v1/files (purpose fine-tune, a chat JSONL checked line by line) and POST
  /v1/fine_tuning/jobs ({training_file, model}): see the fine-tuning block at the end of the class.
"""

import base64
import email.parser
import email.policy
import hashlib
import io
import json
import math
import re
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.client import responses as http_reasons

import av
import av.error

from .audio_clips import tone
from .http_server import DropConnection, FakeServer, RecordedRequest, Reply

DEFAULT_DIMENSIONS = 256
_TOKEN = re.compile(r"[a-z0-9]+|[^\W\d_a-z]", re.IGNORECASE)


def fake_embedding(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """A hashed bag of words (single characters for CJK), L2-normalised: texts sharing words
    are similar, identical texts are identical, and anything is reproducible in a test."""
    vector = [0.0] * dimensions
    for token in _TOKEN.findall(text.lower()):
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:
        vector[0], norm = 1.0, 1.0  # empty text: still a unit vector, as real models return
    return [value / norm for value in vector]


def error_body(
    message: str, type_: str = "invalid_request_error", code: str | None = None, param: str | None = None
) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_reply(status: int, message: str) -> Reply:
    """An OpenAI error response; the openai client turns the status into its exception class."""
    if status == 429:
        type_ = "rate_limit_exceeded"
    elif status == 401 or 400 <= status < 500:
        type_ = "invalid_request_error"
    else:
        type_ = "server_error"
    return Reply(status, error_body(message, type_))


@dataclass
class ToolCall:
    name: str
    args: dict
    id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")


@dataclass
class ChatReply:
    """One scripted chat completion. `status` != 200 answers with an OpenAI error instead;
    `delay` is slept before answering, `chunk_delay` between streamed chunks; `chunk_size` is
    characters per streamed piece of content or tool arguments; `fail_after_chunks` cuts the
    connection after that many streamed chunks (before `[DONE]` if there are fewer; mid-body for
    a non-streamed request). `usage` is (prompt_tokens, completion_tokens), counted if None."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: tuple[int, int] | None = None
    status: int = 200
    error_message: str = ""
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int = 4
    fail_after_chunks: int | None = None


# A substring of the conversation's text, or a predicate over the request body.
ChatMatch = str | Callable[[dict], bool]

_CHAT_ROLES = ("system", "user", "assistant", "tool", "developer")


def message_text(content) -> str:
    """The text of a message's `content`: a string, or a list of parts whose text parts are joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text") or "" for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def conversation_text(body: dict) -> str:
    messages = body.get("messages") or []
    return "\n".join(message_text(m.get("content")) for m in messages if isinstance(m, dict))


def _matches(match: ChatMatch | None, body: dict) -> bool:
    if match is None:
        return True
    if isinstance(match, str):
        return match in conversation_text(body)
    return bool(match(body))


def _chat_request_problem(body: dict) -> dict | None:
    """The error body OpenAI would answer an invalid request with (the cheap checks), else None."""
    if not body.get("model"):
        return error_body("you must provide a model parameter")
    messages = body.get("messages")
    if messages is None:
        return error_body(
            "Missing required parameter: 'messages'.", code="missing_required_parameter", param="messages"
        )
    if not isinstance(messages, list) or not messages:
        return error_body(
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            code="empty_array",
            param="messages",
        )
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            return error_body(f"Invalid type for 'messages[{i}]': expected an object.", param=f"messages[{i}]")
        role = message.get("role")
        if role not in _CHAT_ROLES:
            supported = ", ".join(f"'{r}'" for r in _CHAT_ROLES)
            return error_body(
                f"Invalid value: '{role}'. Supported values are: {supported}.",
                code="invalid_value",
                param=f"messages[{i}].role",
            )
        if role == "tool" and not message.get("tool_call_id"):
            return error_body(
                f"Missing required parameter: 'messages[{i}].tool_call_id'.",
                code="missing_required_parameter",
                param=f"messages[{i}].tool_call_id",
            )
    return None


def _pieces(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


def _count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def _usage_body(prompt_tokens: int, completion_tokens: int) -> dict:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


@dataclass
class _ChatScript:
    match: ChatMatch
    replies: deque[ChatReply]


class FakeOpenAI(FakeServer):
    def __init__(self, api_key: str = "sk-test-fake-openai", dimensions: int = DEFAULT_DIMENSIONS):
        super().__init__()
        self.api_key = api_key
        self.dimensions = dimensions
        self.routes: dict[str, Callable[[RecordedRequest], Reply]] = {
            "POST /v1/embeddings": self.embeddings,
            "POST /v1/chat/completions": self.chat_completions,
            "POST /v1/audio/transcriptions": self.audio_transcriptions,
            "POST /v1/audio/speech": self.audio_speech,
        }
        self._scripted: deque[tuple[str, Reply, float]] = deque()
        self._scripted_lock = threading.Lock()
        self._chat_scripts: list[_ChatScript] = []
        self._chat_bodies: list[dict] = []
        self._chat_lock = threading.Lock()
        # Seconds each embeddings request takes, so a test can catch a build half-way.
        self.embedding_delay = 0.0
        self._audio_lock = threading.Lock()
        self._transcripts: deque[str] = deque()
        self._transcriptions: list[Transcription] = []
        self._speech_audio: dict[str, bytes] = {}
        self.speech_chunk_bytes = 1000
        self._init_fine_tuning()

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    # -- scripting ----------------------------------------------------------------------

    def fail_next(self, route: str, status: int, message: str = "scripted failure", delay: float = 0.0) -> None:
        """The next request to `route` ("POST /v1/embeddings") gets this error, after `delay` seconds."""
        self.reply_next(route, error_reply(status, message), delay)

    def reply_next(self, route: str, reply: Reply, delay: float = 0.0) -> None:
        with self._scripted_lock:
            self._scripted.append((route, reply, delay))

    def requests_to(self, route: str) -> list[RecordedRequest]:
        method, path = route.split(" ", 1)
        return [request for request in list(self.requests) if request.method == method and request.path == path]

    def script_chat(self, match: ChatMatch, *replies: ChatReply | str) -> None:
        """The next chat requests that `match` fits get `replies`, one each, in order (a str is
        shorthand for `ChatReply(text=...)`). Of several pending scripts, the earliest registered
        that fits answers."""
        if not replies:
            raise ValueError("script_chat needs at least one reply")
        queued = deque(ChatReply(text=reply) if isinstance(reply, str) else reply for reply in replies)
        with self._chat_lock:
            self._chat_scripts.append(_ChatScript(match, queued))

    def chat_requests(self, match: ChatMatch | None = None) -> list[dict]:
        """JSON bodies of the chat completion requests received, in arrival order."""
        with self._chat_lock:
            bodies = list(self._chat_bodies)
        return [body for body in bodies if _matches(match, body)]

    def script_transcription(self, *texts: str) -> None:
        """The next transcription requests answer these texts, one each, in order."""
        with self._audio_lock:
            self._transcripts.extend(texts)

    def transcriptions(self) -> list["Transcription"]:
        """The transcription requests received, parsed, in arrival order."""
        with self._audio_lock:
            return list(self._transcriptions)

    def speech_requests(self) -> list[dict]:
        """JSON bodies of the /audio/speech requests received, in arrival order."""
        return [request.json() for request in self.requests_to("POST /v1/audio/speech")]

    def speech_audio(self, text: str) -> bytes:
        """The MP3 the fake answers for `text`: the same bytes every time."""
        with self._audio_lock:
            if text not in self._speech_audio:
                frequency = 200 + int(hashlib.sha256(text.encode()).hexdigest(), 16) % 800
                self._speech_audio[text] = tone("mp3", frequency=frequency, seconds=0.3)
            return self._speech_audio[text]

    def reset_chat(self) -> None:
        with self._chat_lock:
            self._chat_scripts.clear()
            self._chat_bodies.clear()

    # -- dispatch -----------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> Reply:
        key = f"{request.method} {request.path}"
        handler = self.routes.get(key)
        if handler is None:
            return Reply(404, error_body(f"Unknown request URL: {key}", code="unknown_url"))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, error_body("Incorrect API key provided.", code="invalid_api_key"))
        scripted = self._take_scripted(key)
        if scripted is not None:
            reply, delay = scripted
            time.sleep(delay)
            return reply
        return handler(request)

    def _take_scripted(self, key: str) -> tuple[Reply, float] | None:
        with self._scripted_lock:
            for i, (route, reply, delay) in enumerate(self._scripted):
                if route == key:
                    del self._scripted[i]
                    return reply, delay
        return None

    # -- endpoints ----------------------------------------------------------------------

    def embeddings(self, request: RecordedRequest) -> Reply:
        time.sleep(self.embedding_delay)
        body = request.json() or {}
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not body.get("model"):
            return Reply(400, error_body("you must provide a model parameter"))
        if not isinstance(inputs, list) or not inputs or not all(isinstance(text, str) for text in inputs):
            # Token-id arrays are valid for OpenAI, but the product must send plain strings.
            return Reply(400, error_body("'input' must be a string or a non-empty list of strings"))
        dimensions = body.get("dimensions") or self.dimensions
        base64_format = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector = fake_embedding(text, dimensions)
            if base64_format:
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                data.append({"object": "embedding", "index": index, "embedding": encoded})
            else:
                data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(len(_TOKEN.findall(text)) for text in inputs)
        return Reply(
            200,
            {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}},
        )

    def chat_completions(self, request: RecordedRequest) -> Reply:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return Reply(400, error_body("We could not parse the JSON body of your request."))
        with self._chat_lock:
            self._chat_bodies.append(body)
        problem = _chat_request_problem(body)
        if problem is not None:
            return Reply(400, problem)
        reply = self._take_chat_reply(body) or ChatReply(text="Echo: " + _last_user_text(body))
        time.sleep(reply.delay)
        if reply.status != 200:
            return error_reply(reply.status, reply.error_message or http_reasons.get(reply.status, "error"))

        if reply.usage is not None:
            usage = _usage_body(*reply.usage)
        else:
            calls = "".join(call.name + json.dumps(call.args, ensure_ascii=False) for call in reply.tool_calls)
            reply_text = reply.text + calls
            usage = _usage_body(_count_tokens(conversation_text(body)), _count_tokens(reply_text))
        envelope = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:29]}",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_fake",
        }
        finish_reason = "tool_calls" if reply.tool_calls else "stop"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = _stream_events(envelope, reply, finish_reason, usage if include_usage else None)
            return Reply(200, _sse(events, reply), {"Content-Type": "text/event-stream; charset=utf-8"})

        completion = _completion(envelope, reply, finish_reason, usage)
        if reply.fail_after_chunks is not None:
            return Reply(200, _cut_short(json.dumps(completion).encode()), {"Content-Type": "application/json"})
        return Reply(200, completion)

    def audio_transcriptions(self, request: RecordedRequest) -> Reply:
        fields, files = _multipart(request)
        if "file" not in files:
            return Reply(400, error_body("you must provide a file", param="file"))
        if not fields.get("model"):
            return Reply(400, error_body("you must provide a model parameter", param="model"))
        filename, content_type, data = files["file"]
        if filename.rsplit(".", 1)[-1].lower() not in TRANSCRIPTION_FORMATS:
            return Reply(400, error_body(f"Invalid file format. Supported formats: {list(TRANSCRIPTION_FORMATS)}", param="file"))
        if not _decodes(data):
            return Reply(400, error_body("Audio file might be corrupted or unsupported", param="file"))
        with self._audio_lock:
            self._transcriptions.append(Transcription(fields, filename, content_type, data))
            text = self._transcripts.popleft() if self._transcripts else f"transcript of {filename}"
        return Reply(200, {"text": text})

    def audio_speech(self, request: RecordedRequest) -> Reply:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("model"):
            return Reply(400, error_body("you must provide a model parameter", param="model"))
        text = body.get("input")
        if not isinstance(text, str) or not text or len(text) > 4096:
            return Reply(400, error_body("input must be a string of 1 to 4096 characters", param="input"))
        if body.get("voice") not in SPEECH_VOICES:
            return Reply(400, error_body(f"voice must be one of {list(SPEECH_VOICES)}", param="voice"))
        if body.get("response_format", "mp3") != "mp3":
            return Reply(400, error_body("the fake only speaks mp3", param="response_format"))
        audio = self.speech_audio(text)
        size = self.speech_chunk_bytes
        chunks = (audio[start : start + size] for start in range(0, len(audio), size))
        return Reply(200, chunks, {"Content-Type": "audio/mpeg"})

    def _take_chat_reply(self, body: dict) -> ChatReply | None:
        with self._chat_lock:
            for script in self._chat_scripts:
                if _matches(script.match, body):
                    reply = script.replies.popleft()
                    if not script.replies:
                        self._chat_scripts.remove(script)
                    return reply
        return None

    # -- fine-tuning (AI Stack self-learning's retraining) ----------------------------------
    # Files uploaded for fine-tuning and the jobs created from them, kept in memory.

    def _init_fine_tuning(self) -> None:
        self._fine_tuning_lock = threading.Lock()
        self.fine_tuning_files: dict[str, dict] = {}  # file id -> {filename, purpose, lines}
        self.fine_tuning_jobs: list[dict] = []  # the job objects answered, in creation order
        self.routes["POST /v1/files"] = self.upload_file
        self.routes["POST /v1/fine_tuning/jobs"] = self.create_fine_tuning_job

    def upload_file(self, request: RecordedRequest) -> Reply:
        fields, files = _multipart(request)
        if "file" not in files:
            return Reply(400, error_body("you must provide a file", param="file"))
        if fields.get("purpose") != "fine-tune":
            return Reply(400, error_body("the fake only takes purpose fine-tune", param="purpose"))
        filename, _, data = files["file"]
        lines = []
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            try:
                example = json.loads(line)
                roles = [message["role"] for message in example["messages"]]
                assert "assistant" in roles and all(isinstance(m["content"], str) for m in example["messages"])
            except (ValueError, KeyError, TypeError, AssertionError):
                return Reply(400, error_body(f"Invalid file format: line {number} is not a chat example", param="file"))
            lines.append(example)
        if not lines:
            return Reply(400, error_body("Invalid file format: the file is empty", param="file"))
        file_id = f"file-{uuid.uuid4().hex[:24]}"
        with self._fine_tuning_lock:
            self.fine_tuning_files[file_id] = {"filename": filename, "purpose": "fine-tune", "lines": lines}
        body = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()), "filename": filename, "purpose": "fine-tune"}
        return Reply(200, body)

    def create_fine_tuning_job(self, request: RecordedRequest) -> Reply:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("model"):
            return Reply(400, error_body("you must provide a model parameter", param="model"))
        with self._fine_tuning_lock:
            if body.get("training_file") not in self.fine_tuning_files:
                return Reply(400, error_body(f"invalid training_file: {body.get('training_file')}", param="training_file"))
            job = {
                "id": f"ftjob-{uuid.uuid4().hex[:24]}",
                "object": "fine_tuning.job",
                "model": body["model"],
                "training_file": body["training_file"],
                "suffix": body.get("suffix"),
                "status": "validating_files",
                "created_at": int(time.time()),
                "fine_tuned_model": None,
            }
            self.fine_tuning_jobs.append(job)
        return Reply(200, job)


# What OpenAI's /audio/transcriptions and /audio/speech accept.
TRANSCRIPTION_FORMATS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
SPEECH_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")


@dataclass
class Transcription:
    """One transcription request: its form fields, and the uploaded file."""

    fields: dict[str, str]
    filename: str
    content_type: str
    data: bytes


def _multipart(request: RecordedRequest) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """A multipart/form-data body as (fields, files: name -> (file name, content type, bytes))."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    fields, files = {}, {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, part.get_content_type(), payload)
        else:
            fields[name] = payload.decode()
    return fields, files


def _decodes(data: bytes) -> bool:
    """Whether the bytes decode as audio (the real API refuses what FFmpeg cannot read)."""
    try:
        with av.open(io.BytesIO(data)) as container:
            return any(True for _ in container.decode(audio=0))
    except (av.error.FFmpegError, IndexError):
        return False


def _last_user_text(body: dict) -> str:
    for message in reversed(body["messages"]):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return ""


def _completion(envelope: dict, reply: ChatReply, finish_reason: str, usage: dict) -> dict:
    """The chat.completion object OpenAI answers a non-streamed request with."""
    # OpenAI sends null content beside tool calls, and "" for an empty text reply.
    content = reply.text or (None if reply.tool_calls else "")
    message = {"role": "assistant", "content": content, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.args, ensure_ascii=False)},
            }
            for call in reply.tool_calls
        ]
    return {
        **envelope,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage,
    }


def _stream_events(envelope: dict, reply: ChatReply, finish_reason: str, usage: dict | None) -> list[dict]:
    """The chat.completion.chunk objects OpenAI streams for `reply`, in order."""
    deltas: list[dict] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": piece} for piece in _pieces(reply.text, reply.chunk_size)]
    for index, call in enumerate(reply.tool_calls):
        opening = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        deltas.append({"tool_calls": [opening]})
        arguments = json.dumps(call.args, ensure_ascii=False)
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            for piece in _pieces(arguments, reply.chunk_size)
        ]
    base = {**envelope, "object": "chat.completion.chunk"}
    if usage is not None:
        base["usage"] = None  # as OpenAI does: every chunk carries the key, only the last a value
    events = [
        {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]}
        for delta in deltas
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish_reason}]})
    if usage is not None:
        events.append({**base, "choices": [], "usage": usage})
    return events


def _sse(events: list[dict], reply: ChatReply) -> Iterator[bytes]:
    for sent, event in enumerate(events):
        if reply.fail_after_chunks is not None and sent >= reply.fail_after_chunks:
            raise DropConnection
        if sent and reply.chunk_delay:
            time.sleep(reply.chunk_delay)
        yield b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n"
    if reply.fail_after_chunks is not None:
        raise DropConnection
    yield b"data: [DONE]\n\n"


def _cut_short(body: bytes) -> Iterator[bytes]:
    yield body[: len(body) // 2]
    raise DropConnection
