"""CodeSandbox: runs user Python `def main(params) -> dict` in confined children of a warm
parent process that is started clean, never forked from the calling (API or worker) process."""

import array
import importlib.util
import itertools
import json
import logging
import math
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

# The parent's own files, run by a separate interpreter; none of them is imported here.
WARM_PARENT = Path(__file__).with_name("warm_parent.py")
LANDLOCK = Path(__file__).with_name("landlock.py")

log = logging.getLogger(__name__)

# Seconds the caller waits past a run's own timeout before it gives the parent up as stuck.
HOST_GRACE = 5.0
START_TIMEOUT = 30.0
MAX_TIMEOUT = 3600
FORBIDDEN = "operation not permitted in the sandbox"
# Bytes of the child's reply envelope ({"ok": true, "result": ...}) allowed beyond the result cap.
ENVELOPE = 4096
SELF_TEST = "def main(params):\n    return {'sum': params['a'] + params['b']}\n"
# getppid is off the allowlist: the child must be killed by seccomp.
SECCOMP_PROBE = "import random\ndef main(params):\n    random.__builtins__['__import__']('os').getppid()\n    return {}\n"


class SandboxError(Exception):
    """A run that produced no result; the message is meant for the workflow's user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SandboxLimits:
    timeout: float = 10.0
    memory_mb: int = 256
    # CPU seconds of one run; None: its timeout rounded up plus one, so the wall clock fires first.
    cpu_seconds: int | None = None
    max_output_bytes: int = 1024 * 1024
    file_size_mb: int = 16
    max_open_files: int = 32
    # Warm parents runs are spread over; each one serves many runs at once.
    parents: int = 1
    # Children alive at once in this process (each may take memory_mb); more runs wait their turn.
    max_concurrent_runs: int = 32

    def cpu_seconds_for(self, timeout: float) -> int:
        return self.cpu_seconds or math.ceil(timeout) + 1


class _ParentGone(Exception):
    pass


class _Call:
    def __init__(self):
        self.done = threading.Event()
        self.reply: dict = {}


@dataclass
class _Outcome:
    reply: dict
    output: bytes
    too_large: bool


class _WarmParent:
    """One warm parent process and the thread that reads its replies. Each run's code, params and
    result travel through pipes between the caller and the child; the parent only forks and reaps."""

    def __init__(self, limits: SandboxLimits):
        self.limits = limits
        config = {
            "memory_mb": limits.memory_mb,
            "max_output_bytes": limits.max_output_bytes,
            "file_size_bytes": limits.file_size_mb * 1024 * 1024,
            "max_open_files": limits.max_open_files,
            "envelope_bytes": ENVELOPE,
            "landlock_path": str(LANDLOCK),
            "pyseccomp_path": _pyseccomp_path(),
        }
        self.work_dir = tempfile.mkdtemp(prefix="llmops-sandbox-")
        # Children run as nobody: they may pass through to their own run folder, not list others.
        os.chmod(self.work_dir, 0o711)
        self.control, parent_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-B", str(WARM_PARENT), json.dumps(config)],
                stdin=parent_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={},
                cwd=self.work_dir,
                close_fds=True,
                start_new_session=True,
            )
        except OSError as exc:
            self.control.close()
            shutil.rmtree(self.work_dir, ignore_errors=True)
            raise SandboxError(f"the code sandbox could not start: {exc}") from None
        finally:
            parent_end.close()
        self._calls: dict[int, _Call] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._alive = True
        self._ready = _Call()
        self._calls[0] = self._ready
        self._reader = threading.Thread(target=self._read_replies, name=f"sandbox-parent-{self.process.pid}", daemon=True)
        self._reader.start()
        if not self._ready.done.wait(START_TIMEOUT) or "pid" not in self._ready.reply:
            self.close()
            reason = self._ready.reply.get("error") or "the warm parent stopped"
            raise SandboxError(f"the code sandbox could not start: {reason}")
        self.protections = self._ready.reply

    @property
    def alive(self) -> bool:
        return self._alive and self.process.poll() is None

    def run(self, request: bytes, timeout: float) -> _Outcome:
        call = _Call()
        with self._lock:
            if not self._alive:
                raise _ParentGone()
            request_id = next(self._ids)
            self._calls[request_id] = call
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        try:
            header = json.dumps({"id": request_id, "timeout": timeout, "cpu_seconds": self.limits.cpu_seconds_for(timeout)}).encode()
            self.control.sendmsg([header], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [request_r, result_w]))])
        except OSError:
            with self._lock:
                self._alive = False
                self._calls.pop(request_id, None)
            os.close(request_w)
            os.close(result_r)
            raise _ParentGone() from None
        finally:
            os.close(request_r)
            os.close(result_w)
        deadline = time.monotonic() + timeout + HOST_GRACE
        try:
            _write_all(request_w, request)
        except BrokenPipeError:
            pass  # the child ended before reading; its status says why
        finally:
            os.close(request_w)
        output, too_large = _read_capped(result_r, self.limits.max_output_bytes + ENVELOPE, deadline)
        if not call.done.wait(max(0.0, deadline - time.monotonic())):
            log.error("code sandbox parent %d gave no reply in time; stopping it", self.process.pid)
            self.close()
            raise SandboxError(f"timed out after {timeout:g} s")
        if call.reply.get("gone"):
            raise _ParentGone()
        return _Outcome(call.reply, output, too_large)

    def _read_replies(self) -> None:
        try:
            while message := self.control.recv(65536):
                reply = json.loads(message)
                with self._lock:
                    call = self._calls.pop(int(reply.get("id", 0)), None)
                if call is not None:
                    call.reply = reply
                    call.done.set()
        except (OSError, ValueError):
            log.exception("code sandbox parent %d sent an unreadable reply", self.process.pid)
        with self._lock:
            self._alive = False
            calls, self._calls = list(self._calls.values()), {}
        for call in calls:
            call.reply = {"gone": True}
            call.done.set()

    def close(self) -> None:
        with self._lock:
            self._alive = False
        try:
            self.control.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._reader is not threading.current_thread():
            self._reader.join(2)
        self.control.close()
        shutil.rmtree(self.work_dir, ignore_errors=True)


def _pyseccomp_path() -> str:
    spec = importlib.util.find_spec("pyseccomp")
    if spec is None or not spec.origin:
        raise SandboxError("the code sandbox is unavailable: pyseccomp is not installed")
    return spec.origin


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_capped(fd: int, cap: int, deadline: float) -> tuple[bytes, bool]:
    """Reads a child's result until it ends, the cap is passed (the pipe is then closed under
    the child) or the deadline passes; closes fd."""
    chunks, size = [], 0
    # poll, not select: a busy service has descriptors past select's 1024.
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        while True:
            if not poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
                return b"", False
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks), False
            size += len(chunk)
            if size > cap:
                return b"", True
            chunks.append(chunk)
    finally:
        os.close(fd)


def _interpret(outcome: _Outcome, limits: SandboxLimits, timeout: float) -> dict:
    """The run's dict, or the SandboxError that says what happened to it."""
    reply = outcome.reply
    if "error" in reply:
        raise SandboxError(reply["error"])
    if reply.get("timed_out"):
        raise SandboxError(f"timed out after {timeout:g} s")
    if outcome.too_large:
        raise SandboxError(f"output too large (limit {limits.max_output_bytes} bytes)")
    status = int(reply.get("status", 0))
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGSYS:
            raise SandboxError(FORBIDDEN)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            raise SandboxError(f"CPU time limit exceeded ({limits.cpu_seconds_for(timeout)} s)")
        if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
            raise SandboxError(f"the code crashed (memory limit {limits.memory_mb} MB)")
        raise SandboxError(f"the code was stopped by signal {signal.Signals(sig).name}")
    if not outcome.output:
        raise SandboxError(f"the code ended without a result (exit status {os.WEXITSTATUS(status)})")
    try:
        result = json.loads(outcome.output)
    except ValueError:
        raise SandboxError("the code wrote an unreadable result") from None
    if not isinstance(result, dict):
        raise SandboxError("the code wrote an unreadable result")
    if not result.get("ok"):
        raise SandboxError(str(result.get("error") or "the code failed"))
    if not isinstance(result.get("result"), dict):
        raise SandboxError("main must return a dict")
    return result["result"]


_SANDBOXES: "weakref.WeakSet[CodeSandbox]" = weakref.WeakSet()


def _forget_parents_after_fork() -> None:
    # A process forked from the service (a prefork worker) must not share its parent's warm
    # parents: it closes its copies of their sockets and starts its own on its first run.
    for sandbox in list(_SANDBOXES):
        sandbox._forget_parents()


os.register_at_fork(after_in_child=_forget_parents_after_fork)


class CodeSandbox:
    """Runs `main(params)` of user code and returns its dict, or raises SandboxError.
    Thread-safe; the warm parents start on the first run (or `start()`) and restart when they die."""

    def __init__(self, limits: SandboxLimits | None = None):
        self.limits = limits or SandboxLimits()
        self._parents: list[_WarmParent | None] = [None] * max(1, self.limits.parents)
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._closed = False
        self._slots = threading.BoundedSemaphore(max(1, self.limits.max_concurrent_runs))
        _SANDBOXES.add(self)

    def start(self) -> dict:
        """Starts every warm parent now and returns the protections in force."""
        protections = {}
        for slot in range(len(self._parents)):
            protections = self._parent(slot).protections
        return protections

    @property
    def parent_pids(self) -> list[int]:
        """The warm parents running now (none before the first run or `start()`)."""
        return [parent.process.pid for parent in self._parents if parent is not None and parent.alive]

    def run(self, code: str, params: dict, timeout: float | None = None) -> dict:
        """main(params) of `code`, run in a fresh confined child; SandboxError when it gives no dict.
        `timeout` (a caller's time left) may shorten the run's own limit, never extend it."""
        if not isinstance(code, str):
            raise SandboxError("the code must be text")
        if not isinstance(params, dict):
            raise SandboxError("the parameters must be an object")
        timeout = self.limits.timeout if timeout is None else float(timeout)
        if not 0 < timeout <= MAX_TIMEOUT:
            raise SandboxError(f"the timeout must be more than 0 and at most {MAX_TIMEOUT} seconds")
        timeout = min(timeout, self.limits.timeout)
        try:
            request = json.dumps({"code": code, "params": params}, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise SandboxError(f"the parameters are not JSON: {exc}") from None
        with self._slots:
            outcome = self._call(request, timeout)
        return _interpret(outcome, self.limits, timeout)

    def _call(self, request: bytes, timeout: float) -> _Outcome:
        slot = next(self._next) % len(self._parents)
        # A parent that died (killed, crashed) is replaced once; the run had no effects to repeat.
        for _ in range(2):
            parent = self._parent(slot)
            try:
                return parent.run(request, timeout)
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
        # Fail closed: a parent whose children cannot run code, or run it without the seccomp
        # filter (a call off the allowlist must kill the child), is not used.
        try:
            request = json.dumps({"code": SELF_TEST, "params": {"a": 1, "b": 2}}).encode()
            result = _interpret(parent.run(request, START_TIMEOUT), self.limits, START_TIMEOUT)
            error = "" if result == {"sum": 3} else "the self-test run gave a wrong result"
            if not error:
                probe = json.dumps({"code": SECCOMP_PROBE, "params": {}}).encode()
                _interpret(parent.run(probe, START_TIMEOUT), self.limits, START_TIMEOUT)
                error = "the seccomp filter is not in force"
        except (_ParentGone, SandboxError) as exc:
            error = "" if str(exc) == FORBIDDEN else str(exc) or "the warm parent stopped"
        if error:
            parent.close()
            log.error("code sandbox unavailable: %s", error)
            raise SandboxError(f"the code sandbox is unavailable: {error}")
        protections = parent.protections
        abi = protections["landlock_abi"]
        log.info(
            "code sandbox parent %d ready: seccomp allowlist, no_new_privs, rlimits (cpu, as, nproc, fsize, nofile, core), %s, %s",
            protections["pid"],
            f"Landlock ABI {abi} (filesystem{', TCP' if abi >= 4 else ''}{', signals' if abi >= 6 else ''})" if abi else "NO Landlock (kernel lacks it)",
            "runs as nobody" if protections["drops_to_nobody"] else "runs as the service's user",
        )
        if not abi:
            log.warning(
                "code sandbox: no Landlock on this kernel, so user code can read what %s can read; "
                "use a kernel with Landlock (5.13+) or run the service as root (children then drop to nobody)",
                "nobody" if protections["drops_to_nobody"] else "the service's user (its /proc environment included)",
            )

    def _forget_parents(self) -> None:
        self._lock = threading.Lock()
        for parent in self._parents:
            if parent is not None:
                parent.control.close()
        self._parents = [None] * len(self._parents)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            parents, self._parents = self._parents, [None] * len(self._parents)
        for parent in parents:
            if parent is not None:
                parent.close()
