"""The sandbox's warm parent: started clean by CodeSandbox (`python -I -S`, empty environment,
no inherited files), it forks one confined, short-lived child per run of user code.

Its stdin is a SOCK_SEQPACKET socket to the caller. Each request is one message, JSON
{"id", "timeout", "cpu_seconds"}, carrying two pipe ends (SCM_RIGHTS): the child reads the code and params from
the first and writes its result to the second, so no run's data ever passes through this
process — a child, which can read its own memory, finds no other run's code, params or result in
what it inherited. Replies are messages {"id", "status", "timed_out"} (the child's wait status);
the first message describes the protections in force.
This file runs with no site-packages: it imports only the standard library, and loads
`landlock.py` and `pyseccomp` by the paths it is given.
"""

import builtins
import codecs
import ctypes
import importlib.util
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import sys
import time

# What user code may import, loaded here once so every child inherits it already imported.
ALLOWED_MODULES = (
    "base64", "bisect", "collections", "copy", "datetime", "decimal", "fractions", "functools",
    "hashlib", "heapq", "itertools", "json", "math", "operator", "random", "re", "statistics",
    "string", "textwrap", "time", "typing", "unicodedata", "uuid",
)
# Modules the allowed ones import lazily (strptime), through the import check of user code.
LAZY_IMPORTS = ("_strptime",)
# Codecs are found by importing encodings.<name>: load the common ones here, since a child
# running as nobody may not reach the standard library's files.
PRELOADED_CODECS = (
    "ascii", "latin_1", "cp1252", "utf_8_sig", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le",
    "utf_32_be", "gbk", "gb2312", "gb18030", "big5", "cp936", "hz", "shift_jis", "euc_jp", "euc_kr",
    "idna", "punycode", "unicode_escape", "raw_unicode_escape", "base64_codec", "hex_codec",
)
for _name in ALLOWED_MODULES + LAZY_IMPORTS:
    __import__(_name)
for _name in PRELOADED_CODECS:
    codecs.lookup(_name)

NOBODY = 65534
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
SETUP_FAILED = 70
TCGETS = 0x5401
CONTROL_FD = 0

# Everything else — execve, socket, connect, ptrace, clone/fork, kill, process_vm_*, mount, bpf,
# keyctl, prctl, ioctl, chmod, ... — kills the child. Opening files is allowed here and confined
# to the run's folder by Landlock.
ALLOWED_SYSCALLS = (
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close",
    "open", "openat", "fstat", "stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2",
    "getdents64", "getcwd", "readlink", "readlinkat", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "ftruncate", "fsync", "fdatasync", "fcntl", "dup", "dup2", "dup3",
    "mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "futex", "getrandom",
    "clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep", "sched_yield",
    "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "exit", "exit_group",
)

_libc = ctypes.CDLL(None, use_errno=True)


def _load_module(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl {option}")


class OutputTooLarge(BaseException):
    """Raised into user code when it prints past the cap; a BaseException so `except Exception` keeps it."""


class _CappedOutput:
    """Stands in for stdout and stderr: output is discarded, but only so much of it may be written."""

    def __init__(self, cap: int):
        self.cap = cap
        self.written = 0
        self.exceeded = False

    def write(self, text) -> int:
        self.written += len(text)
        if self.written > self.cap:
            self.exceeded = True
            raise OutputTooLarge()
        return len(text)

    def flush(self) -> None:
        pass


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    # A friendly message for code that imports os or subprocess; the boundary is seccomp and Landlock.
    if level != 0 or name.partition(".")[0] not in ALLOWED_MODULES + LAZY_IMPORTS:
        raise ImportError(f"import of '{name}' is not allowed in the sandbox")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _user_line(exc: BaseException) -> int | None:
    if isinstance(exc, SyntaxError) and exc.filename == "<code>":
        return exc.lineno
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<code>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(exc: BaseException) -> str:
    try:
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    except BaseException:
        detail = ""
    message = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    line = _user_line(exc)
    return (message[:2000] + (f" (line {line})" if line else "")).strip()


def _execute(request: dict, config: dict) -> dict:
    """Runs the user's main(params) and returns the reply the child sends back."""
    cap = config["max_output_bytes"]
    output = _CappedOutput(cap)
    sys.stdout = sys.stderr = output
    too_large = {"ok": False, "error": f"output too large (limit {cap} bytes)"}
    sandbox_builtins = dict(builtins.__dict__, __import__=_guarded_import)
    namespace = {"__builtins__": sandbox_builtins, "__name__": "__sandbox__"}
    try:
        exec(compile(request["code"], "<code>", "exec"), namespace)
        main = namespace.get("main")
        if not callable(main):
            return {"ok": False, "error": "the code must define a function main(params)"}
        result = main(request["params"])
    except MemoryError:
        return {"ok": False, "error": f"memory limit exceeded ({config['memory_mb']} MB)"}
    except OutputTooLarge:
        return too_large
    except BaseException as exc:
        return {"ok": False, "error": _describe(exc)}
    if output.exceeded:
        return too_large
    if not isinstance(result, dict):
        return {"ok": False, "error": f"main must return a dict, not {type(result).__name__}"}
    return {"ok": True, "result": result}


def _exceeds(value, cap: int) -> bool:
    """Whether the JSON of value certainly passes cap bytes, judged without encoding it
    (encoding 100 MB would hit the memory limit before the size check)."""
    size, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, dict):
            size += 2 + len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            size += 2 + len(item)
            stack.extend(item)
        else:
            size += 1
        if size > cap:
            return True
    return False


def _encode(reply: dict, config: dict) -> bytes:
    cap = config["max_output_bytes"]
    if reply.get("ok") and _exceeds(reply["result"], cap):
        reply = {"ok": False, "error": f"output too large (limit {cap} bytes)"}
    try:
        payload = json.dumps(reply, ensure_ascii=False, allow_nan=False).encode()
    except MemoryError:
        reply = {"ok": False, "error": f"memory limit exceeded ({config['memory_mb']} MB)"}
    except (TypeError, ValueError, RecursionError) as exc:
        reply = {"ok": False, "error": f"the result of main is not JSON: {_describe(exc)}"}
    else:
        if len(payload) <= cap + config["envelope_bytes"]:
            return payload
        reply = {"ok": False, "error": f"output too large (limit {cap} bytes)"}
    return json.dumps(reply, ensure_ascii=False).encode()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _confine(run_dir: str, cpu: int, config: dict, landlock, seccomp_filter) -> None:
    """Everything between fork and user code: limits, a fresh folder, nobody, no_new_privs,
    Landlock, then seccomp last (the steps before it use calls it forbids)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    memory = config["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (config["file_size_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (config["max_open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    os.chdir(run_dir)
    abi = config["landlock_abi"]
    ruleset = landlock.create_ruleset(abi, config["read_only_paths"], [run_dir]) if abi else -1
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    _prctl(PR_SET_DUMPABLE, 0)
    if abi:
        landlock.restrict_self(ruleset)
    seccomp_filter.load()


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _child(request_fd: int, result_fd: int, run_dir: str, cpu: int, config: dict, landlock, seccomp_filter) -> None:
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        low, high = sorted((request_fd, result_fd))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, os.sysconf("SC_OPEN_MAX"))
        _confine(run_dir, cpu, config, landlock, seccomp_filter)
    except BaseException as exc:
        _write_all(result_fd, json.dumps({"ok": False, "error": f"the sandbox could not be set up: {exc}"}).encode())
        os._exit(SETUP_FAILED)
    try:
        request = json.loads(_read_all(request_fd))
        os.close(request_fd)
        reply = _execute(request, config)
        _write_all(result_fd, _encode(reply, config))
    except BaseException:
        os._exit(1)  # the caller stopped reading (too much output) or sent nothing
    os._exit(0)


class _Run:
    def __init__(self, request_id: int, pid: int, pidfd: int, run_dir: str, timeout: float):
        self.request_id = request_id
        self.pid = pid
        self.pidfd = pidfd
        self.run_dir = run_dir
        self.deadline = time.monotonic() + timeout
        self.timed_out = False


class WarmParent:
    def __init__(self, config: dict):
        self.config = config
        self.landlock = _load_module("sandbox_landlock", config["landlock_path"])
        seccomp = _load_module("pyseccomp", config["pyseccomp_path"])
        self.seccomp_filter = self._build_filter(seccomp)
        config["landlock_abi"] = self.landlock.abi_version()
        config["read_only_paths"] = [path for path in {sys._stdlib_dir} if path and os.path.isdir(path)]
        self.control = socket.socket(fileno=CONTROL_FD)
        self.selector = selectors.DefaultSelector()
        self.runs: dict[int, _Run] = {}
        self.counter = 0

    @staticmethod
    def _build_filter(seccomp):
        seccomp_filter = seccomp.SyscallFilter(seccomp.KILL_PROCESS)
        # open() asks whether a file is a terminal; no other ioctl is allowed.
        seccomp_filter.add_rule(seccomp.ALLOW, "ioctl", seccomp.Arg(1, seccomp.EQ, TCGETS))
        for name in ALLOWED_SYSCALLS:
            try:
                seccomp_filter.add_rule(seccomp.ALLOW, name)
            except (OSError, ValueError, RuntimeError):
                pass  # not a system call on this architecture (e.g. open and stat on aarch64)
        return seccomp_filter

    def protections(self) -> dict:
        return {
            "pid": os.getpid(),
            "seccomp": True,
            "landlock_abi": self.config["landlock_abi"],
            "drops_to_nobody": os.getuid() == 0,
            "no_new_privs": True,
            "rlimits": ["cpu", "as", "nproc", "fsize", "nofile", "core"],
            "allowed_modules": list(ALLOWED_MODULES),
        }

    def send(self, message: dict) -> None:
        self.control.sendall(json.dumps(message).encode())

    def serve(self) -> None:
        self.send(self.protections())
        self.selector.register(self.control, selectors.EVENT_READ, None)
        while True:
            timeout = None
            if self.runs:
                timeout = max(0.0, min(run.deadline for run in self.runs.values()) - time.monotonic())
            for key, _ in self.selector.select(timeout):
                if key.data is None:
                    if not self._receive():
                        return self._shut_down()
                else:
                    self._finish(key.data)
            now = time.monotonic()
            for run in self.runs.values():
                if run.deadline <= now and not run.timed_out:
                    run.timed_out = True
                    os.kill(run.pid, signal.SIGKILL)

    def _receive(self) -> bool:
        data, ancillary, _, _ = self.control.recvmsg(4096, socket.CMSG_SPACE(2 * 4))
        if not data:
            return False
        fds = []
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(memoryview(payload).cast("i"))
        request = json.loads(data)
        try:
            if len(fds) != 2:
                raise OSError("expected two pipes")
            self._start(request, *fds)
        except OSError as exc:
            self.send({"id": request["id"], "error": f"the sandbox could not start the code: {exc}"})
        finally:
            for fd in fds:
                os.close(fd)
        return True

    def _start(self, request: dict, request_fd: int, result_fd: int) -> None:
        self.counter += 1
        run_dir = os.path.join(os.getcwd(), f"run-{self.counter}-{os.urandom(8).hex()}")
        os.mkdir(run_dir, 0o700)
        if os.getuid() == 0:
            os.chown(run_dir, NOBODY, NOBODY)
        try:
            pid = os.fork()
        except OSError:
            os.rmdir(run_dir)
            raise
        if pid == 0:
            try:
                cpu = int(request["cpu_seconds"])
                _child(request_fd, result_fd, run_dir, cpu, self.config, self.landlock, self.seccomp_filter)
            finally:
                os._exit(SETUP_FAILED)
        run = _Run(request["id"], pid, os.pidfd_open(pid), run_dir, float(request["timeout"]))
        self.runs[pid] = run
        self.selector.register(run.pidfd, selectors.EVENT_READ, run)

    def _finish(self, run: _Run) -> None:
        _, status = os.waitpid(run.pid, 0)
        self.selector.unregister(run.pidfd)
        os.close(run.pidfd)
        del self.runs[run.pid]
        shutil.rmtree(run.run_dir, ignore_errors=True)
        self.send({"id": run.request_id, "status": status, "timed_out": run.timed_out})

    def _shut_down(self) -> None:
        for run in self.runs.values():
            os.kill(run.pid, signal.SIGKILL)
            os.waitpid(run.pid, 0)
            shutil.rmtree(run.run_dir, ignore_errors=True)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    config = json.loads(sys.argv[1])
    try:
        parent = WarmParent(config)
    except Exception as exc:
        # Fail closed, and say why (no libseccomp, say): the caller refuses to run code.
        socket.socket(fileno=CONTROL_FD).sendall(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        sys.exit(1)
    parent.serve()


if __name__ == "__main__":
    main()
