"""CodeSandbox: runs user Python `def main(params) -> dict` in confined children of a warm
parent process that is started clean, never forked from the calling (API or worker) process."""

import itertools
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass

import pyseccomp

from . import landlock, warm_parent

log = logging.getLogger(__name__)

# Seconds the caller waits past a run's own timeout before it gives the parent up as stuck.
HOST_GRACE = 5.0
START_TIMEOUT = 30.0
SELF_TEST = "def main(params):\n    return {'sum': params['a'] + params['b']}\n"


class SandboxError(Exception):
    """A run that produced no result; the message is meant for the workflow's user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SandboxLimits:
    timeout: float = 10.0
    memory_mb: int = 256
    # CPU seconds of one run; None: the timeout rounded up plus one, so the wall clock fires first.
    cpu_seconds: int | None = None
    max_output_bytes: int = 1024 * 1024
    file_size_mb: int = 16
    max_open_files: int = 32
    # Warm parents runs are spread over; each one serves many runs at once.
    parents: int = 1

    @property
    def effective_cpu_seconds(self) -> int:
        return self.cpu_seconds or math.ceil(self.timeout) + 1


class _ParentGone(Exception):
    pass


class _Call:
    def __init__(self):
        self.done = threading.Event()
        self.kind = ""
        self.payload = b""


class _WarmParent:
    """One warm parent process and the thread that reads its replies."""

    def __init__(self, limits: SandboxLimits):
        self.work_dir = tempfile.mkdtemp(prefix="llmops-sandbox-")
        # Children run as nobody: they may pass through to their own run folder, not list others.
        os.chmod(self.work_dir, 0o711)
        config = {
            "memory_mb": limits.memory_mb,
            "cpu_seconds": limits.effective_cpu_seconds,
            "max_output_bytes": limits.max_output_bytes,
            "file_size_bytes": limits.file_size_mb * 1024 * 1024,
            "max_open_files": limits.max_open_files,
            "landlock_path": landlock.__file__,
            "pyseccomp_path": pyseccomp.__file__,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", warm_parent.__file__, json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={},
            cwd=self.work_dir,
            close_fds=True,
            start_new_session=True,
        )
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._alive = True
        self._ready = _Call()
        self._calls[0] = self._ready
        self._reader = threading.Thread(target=self._read_replies, name=f"sandbox-parent-{self.process.pid}", daemon=True)
        self._reader.start()
        if not self._ready.done.wait(START_TIMEOUT) or self._ready.kind != "ready":
            self.close()
            raise SandboxError("the code sandbox could not start")
        self.protections = json.loads(self._ready.payload)

    @property
    def alive(self) -> bool:
        return self._alive and self.process.poll() is None

    def call(self, request: dict, wait: float) -> tuple[str, bytes]:
        call = _Call()
        with self._lock:
            if not self._alive:
                raise _ParentGone()
            request_id = next(self._ids)
            self._calls[request_id] = call
            try:
                self.process.stdin.write(json.dumps(dict(request, id=request_id)).encode() + b"\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._calls.pop(request_id, None)
                self._alive = False
                raise _ParentGone() from None
        if not call.done.wait(wait):
            log.error("code sandbox parent %d gave no reply in %.0f s; stopping it", self.process.pid, wait)
            self.close()
            raise SandboxError(f"timed out after {request['timeout']:g} s")
        if call.kind == "gone":
            raise _ParentGone()
        return call.kind, call.payload

    def _read_replies(self) -> None:
        stdout = self.process.stdout
        try:
            while header := stdout.readline():
                request_id, kind, length = header.split()
                payload = stdout.read(int(length))
                with self._lock:
                    call = self._calls.pop(int(request_id), None)
                if call is not None:
                    call.kind, call.payload = kind.decode(), payload
                    call.done.set()
        except (OSError, ValueError):
            log.exception("code sandbox parent %d sent an unreadable reply", self.process.pid)
        with self._lock:
            self._alive = False
            calls, self._calls = list(self._calls.values()), {}
        for call in calls:
            call.kind = "gone"
            call.done.set()

    def close(self) -> None:
        with self._lock:
            self._alive = False
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(2)
        shutil.rmtree(self.work_dir, ignore_errors=True)


class CodeSandbox:
    """Runs `main(params)` of user code and returns its dict, or raises SandboxError.
    Thread-safe; the warm parents start on the first run (or `start()`) and restart when they die."""

    def __init__(self, limits: SandboxLimits | None = None):
        self.limits = limits or SandboxLimits()
        self._parents: list[_WarmParent | None] = [None] * max(1, self.limits.parents)
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> dict:
        """Starts every warm parent now and returns the protections in force."""
        protections = {}
        for slot in range(len(self._parents)):
            protections = self._parent(slot).protections
        return protections

    def run(self, code: str, params: dict, timeout: float | None = None) -> dict:
        if not isinstance(code, str):
            raise SandboxError("the code must be text")
        if not isinstance(params, dict):
            raise SandboxError("the parameters must be an object")
        timeout = self.limits.timeout if timeout is None else float(timeout)
        if not timeout > 0:
            raise SandboxError("the timeout must be positive")
        try:
            json.dumps(params, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise SandboxError(f"the parameters are not JSON: {exc}") from None
        kind, payload = self._call({"code": code, "params": params, "timeout": timeout}, timeout + HOST_GRACE)
        if kind != "result":
            raise SandboxError(payload.decode(errors="replace"))
        try:
            reply = json.loads(payload)
        except ValueError:
            raise SandboxError("the code wrote an unreadable result") from None
        if not isinstance(reply, dict):
            raise SandboxError("the code wrote an unreadable result")
        if not reply.get("ok"):
            raise SandboxError(str(reply.get("error") or "the code failed"))
        result = reply.get("result")
        if not isinstance(result, dict):
            raise SandboxError("main must return a dict")
        return result

    def _call(self, request: dict, wait: float) -> tuple[str, bytes]:
        slot = next(self._next) % len(self._parents)
        # A parent that died (killed, crashed) is replaced once; the run had no effects to repeat.
        for attempt in range(2):
            parent = self._parent(slot)
            try:
                return parent.call(request, wait)
            except _ParentGone:
                log.warning("code sandbox parent %d stopped; starting another", parent.process.pid)
        raise SandboxError("the code sandbox stopped unexpectedly")

    def _parent(self, slot: int) -> _WarmParent:
        with self._lock:
            if self._closed:
                raise SandboxError("the code sandbox is closed")
            parent = self._parents[slot]
            if parent is not None and parent.alive:
                return parent
            if parent is not None:
                parent.close()
            parent = _WarmParent(self.limits)
            self._parents[slot] = parent
        self._self_test(parent)
        return parent

    def _self_test(self, parent: _WarmParent) -> None:
        # Fail closed: a parent whose children cannot be confined (no seccomp) is not used.
        try:
            kind, payload = parent.call({"code": SELF_TEST, "params": {"a": 1, "b": 2}, "timeout": START_TIMEOUT}, START_TIMEOUT)
            reply = json.loads(payload) if kind == "result" else {"error": payload.decode(errors="replace")}
        except (_ParentGone, SandboxError, ValueError):
            reply = {"error": "the warm parent stopped"}
        if reply.get("result") != {"sum": 3}:
            parent.close()
            log.error("code sandbox unavailable: %s", reply.get("error"))
            raise SandboxError(f"the code sandbox is unavailable: {reply.get('error')}")
        protections = parent.protections
        abi = protections["landlock_abi"]
        log.info(
            "code sandbox parent %d ready: seccomp allowlist, no_new_privs, rlimits (cpu, as, nproc, fsize, nofile, core), %s, %s",
            protections["pid"],
            f"Landlock ABI {abi} (filesystem{', TCP' if abi >= 4 else ''}{', signals' if abi >= 6 else ''})" if abi else "NO Landlock (kernel lacks it)",
            "runs as nobody" if protections["drops_to_nobody"] else "runs as the service's user",
        )
        if not abi:
            log.warning("code sandbox: Landlock is unavailable, user code can read files the service's user can read")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            parents, self._parents = self._parents, [None] * len(self._parents)
        for parent in parents:
            if parent is not None:
                parent.close()
