"""The sandbox's warm parent: started clean by CodeSandbox (`python -I -S`, empty environment,
no inherited files), it forks one confined, short-lived child per run of user code.

Requests arrive on stdin, one JSON object a line: {"id", "code", "params", "timeout"}.
Replies leave on stdout as frames `b"<id> <kind> <length>\\n" + payload`: kind `result` carries
the child's JSON, `error` a message, and the first frame (`0 ready`) the protections in force.
This file runs with no site-packages: it imports only the standard library, and loads
`landlock.py` and `pyseccomp` by the paths it is given.
"""

import builtins
import ctypes
import importlib.util
import json
import os
import resource
import selectors
import shutil
import signal
import sys
import time

# What user code may import, loaded here once so every child inherits it already imported.
ALLOWED_MODULES = (
    "base64", "bisect", "collections", "copy", "datetime", "decimal", "fractions", "functools",
    "hashlib", "heapq", "itertools", "json", "math", "operator", "random", "re", "statistics",
    "string", "textwrap", "time", "typing", "unicodedata", "uuid",
)
for _name in ALLOWED_MODULES:
    __import__(_name)

NOBODY = 65534
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
SETUP_FAILED = 70
TCGETS = 0x5401
# Read chunk size of the result pipe; the envelope around a result is far smaller.
CHUNK = 65536
ENVELOPE = 4096

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
    if level != 0 or name.partition(".")[0] not in ALLOWED_MODULES:
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
        if len(payload) <= cap + ENVELOPE:
            return payload
        reply = {"ok": False, "error": f"output too large (limit {cap} bytes)"}
    return json.dumps(reply, ensure_ascii=False).encode()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _confine(run_dir: str, config: dict, landlock, seccomp_filter) -> None:
    """Everything between fork and user code: limits, a fresh folder, nobody, no_new_privs,
    Landlock, then seccomp last (the steps before it use calls it forbids)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    memory = config["memory_mb"] * 1024 * 1024
    cpu = config["cpu_seconds"]
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


def _child(request: dict, result_fd: int, run_dir: str, config: dict, landlock, seccomp_filter) -> None:
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, result_fd)
        os.closerange(result_fd + 1, 1 << 16)
        _confine(run_dir, config, landlock, seccomp_filter)
    except BaseException as exc:
        _write_all(result_fd, json.dumps({"ok": False, "error": f"the sandbox could not be set up: {exc}"}).encode())
        os._exit(SETUP_FAILED)
    reply = _execute(request, config)
    _write_all(result_fd, _encode(reply, config))
    os._exit(0)


class _Run:
    def __init__(self, request_id: int, pid: int, pidfd: int, result_fd: int, run_dir: str, timeout: float):
        self.request_id = request_id
        self.timeout = timeout
        self.pid = pid
        self.pidfd = pidfd
        self.result_fd = result_fd
        self.run_dir = run_dir
        self.deadline = time.monotonic() + timeout
        self.chunks: list[bytes] = []
        self.size = 0
        self.timed_out = False
        self.too_large = False
        self.killed = False

    def kill(self) -> None:
        if not self.killed:
            self.killed = True
            os.kill(self.pid, signal.SIGKILL)


def _outcome(run: _Run, status: int, config: dict) -> tuple[str, bytes]:
    if run.timed_out:
        return "error", f"timed out after {run.timeout:g} s".encode()
    if run.too_large:
        return "error", f"output too large (limit {config['max_output_bytes']} bytes)".encode()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGSYS:
            return "error", b"operation not permitted in the sandbox"
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return "error", f"CPU time limit exceeded ({config['cpu_seconds']} s)".encode()
        if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
            return "error", f"the code crashed (memory limit {config['memory_mb']} MB)".encode()
        return "error", f"the code was stopped by signal {signal.Signals(sig).name}".encode()
    payload = b"".join(run.chunks)
    if not payload:
        return "error", f"the code ended without a result (exit status {os.WEXITSTATUS(status)})".encode()
    return "result", payload


class WarmParent:
    def __init__(self, config: dict):
        self.config = config
        self.landlock = _load_module("sandbox_landlock", config["landlock_path"])
        seccomp = _load_module("pyseccomp", config["pyseccomp_path"])
        self.seccomp_filter = self._build_filter(seccomp)
        config["landlock_abi"] = self.landlock.abi_version()
        config["read_only_paths"] = [path for path in {sys._stdlib_dir} if path and os.path.isdir(path)]
        self.selector = selectors.DefaultSelector()
        self.runs: dict[int, _Run] = {}
        self.pending_input = b""
        self.stdout = sys.stdout.buffer
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

    def send(self, request_id: int, kind: str, payload: bytes) -> None:
        self.stdout.write(b"%d %s %d\n" % (request_id, kind.encode(), len(payload)) + payload)
        self.stdout.flush()

    def serve(self) -> None:
        self.send(0, "ready", json.dumps(self.protections()).encode())
        os.set_blocking(0, False)
        self.selector.register(0, selectors.EVENT_READ, None)
        while True:
            timeout = None
            if self.runs:
                timeout = max(0.0, min(run.deadline for run in self.runs.values()) - time.monotonic())
            for key, _ in self.selector.select(timeout):
                if key.data is None:
                    if not self._read_requests():
                        return self._shut_down()
                else:
                    kind, run = key.data
                    if kind == "result":
                        self._read_result(run)
                    else:
                        self._finish(run)
            now = time.monotonic()
            for run in list(self.runs.values()):
                if run.deadline <= now and not run.killed:
                    run.timed_out = True
                    run.kill()

    def _read_requests(self) -> bool:
        try:
            data = os.read(0, 1 << 20)
        except BlockingIOError:
            return True
        if not data:
            return False
        lines = (self.pending_input + data).split(b"\n")
        self.pending_input = lines.pop()
        for line in lines:
            if line.strip():
                request = json.loads(line)
                try:
                    self._start(request)
                except OSError as exc:
                    self.send(request["id"], "error", f"the sandbox could not start the code: {exc}".encode())
        return True

    def _start(self, request: dict) -> None:
        self.counter += 1
        run_dir = os.path.join(os.getcwd(), f"run-{self.counter}-{os.urandom(8).hex()}")
        os.mkdir(run_dir, 0o700)
        if os.getuid() == 0:
            os.chown(run_dir, NOBODY, NOBODY)
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_fd)
                _child(request, write_fd, run_dir, self.config, self.landlock, self.seccomp_filter)
            finally:
                os._exit(SETUP_FAILED)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        run = _Run(request["id"], pid, os.pidfd_open(pid), read_fd, run_dir, float(request["timeout"]))
        self.runs[pid] = run
        self.selector.register(read_fd, selectors.EVENT_READ, ("result", run))
        self.selector.register(run.pidfd, selectors.EVENT_READ, ("exit", run))

    def _read_result(self, run: _Run) -> None:
        while run.result_fd >= 0:
            try:
                data = os.read(run.result_fd, CHUNK)
            except BlockingIOError:
                return
            if not data:
                self.selector.unregister(run.result_fd)
                os.close(run.result_fd)
                run.result_fd = -1
                return
            run.size += len(data)
            if run.size > self.config["max_output_bytes"] + ENVELOPE:
                run.too_large = True
                run.chunks.clear()
                run.kill()
            elif not run.too_large:
                run.chunks.append(data)

    def _finish(self, run: _Run) -> None:
        _, status = os.waitpid(run.pid, 0)
        self.selector.unregister(run.pidfd)
        os.close(run.pidfd)
        # The child is gone, so the pipe holds the rest of its output and then ends.
        if run.result_fd >= 0:
            os.set_blocking(run.result_fd, True)
            self._read_result(run)
        del self.runs[run.pid]
        shutil.rmtree(run.run_dir, ignore_errors=True)
        kind, payload = _outcome(run, status, self.config)
        self.send(run.request_id, kind, payload)

    def _shut_down(self) -> None:
        for run in list(self.runs.values()):
            run.kill()
            os.waitpid(run.pid, 0)
            shutil.rmtree(run.run_dir, ignore_errors=True)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    config = json.loads(sys.argv[1])
    parent = WarmParent(config)
    parent.serve()


if __name__ == "__main__":
    main()
