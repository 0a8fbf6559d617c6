"""The code sandbox, proven with real escape attempts: each ends in a SandboxError (or a result
that shows no access) and leaves no process or file behind.

Much of the attack code reaches past the friendly import check first (through `random`'s real
builtins, frames or subclasses), so what is tested is the boundary itself: rlimits, nobody,
no_new_privs, Landlock and the seccomp allowlist.
"""

import json
import os
import secrets
import signal
import socket
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from config.settings import SandboxSettings
from internal.server import create_app
from pkg.sandbox import CodeSandbox, SandboxError, SandboxLimits
from test.conftest import make_settings

FORBIDDEN = "operation not permitted in the sandbox"
# The real __import__, reached through a module user code may import: the import check is not the boundary.
REAL_IMPORT = "import random\nreal_import = random.__builtins__['__import__']\n"
# os, reached without importing it.
OS_BY_SUBCLASSES = (
    "os_globals = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0].__init__.__globals__\n"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[CodeSandbox]:
    code_sandbox = CodeSandbox(SandboxLimits(timeout=5))
    yield code_sandbox
    code_sandbox.close()


@pytest.fixture(scope="module")
def exposed_app_dir() -> Iterator[Path]:
    """An app folder anyone on the machine may read and write, holding secrets: only the sandbox
    stands between user code and them (file permissions do not)."""
    directory = Path(tempfile.mkdtemp(prefix="llmops-exposed-"))
    directory.chmod(0o777)
    (directory / "storage").mkdir(mode=0o777)
    (directory / ".env").write_text(f"JWT_SECRET_KEY={secrets.token_hex(16)}\n")
    (directory / "storage" / "jwt_secret_key").write_text(secrets.token_hex(32))
    database = sqlite3.connect(directory / "storage" / "llmops.db")
    database.execute("create table account (email text, password text)")
    database.execute("insert into account values ('a@example.com', ?)", (secrets.token_hex(16),))
    database.commit()
    database.close()
    for path in directory.rglob("*"):
        path.chmod(0o777 if path.is_dir() else 0o666)
    yield directory
    for path in sorted(directory.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    directory.rmdir()


def parent_pid(sandbox: CodeSandbox) -> int:
    return sandbox.start()["pid"]


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                children.append(int(entry.name))
    return children


def assert_left_nothing(sandbox: CodeSandbox) -> None:
    pid = parent_pid(sandbox)
    assert children_of(pid) == []
    assert os.listdir(os.readlink(f"/proc/{pid}/cwd")) == []


def assert_refused(sandbox: CodeSandbox, code: str, message: str, timeout: float | None = None) -> None:
    with pytest.raises(SandboxError) as raised:
        sandbox.run(code, {}, timeout=timeout)
    assert message in raised.value.message
    # The user's own line numbers, never the sandbox's files or a traceback.
    assert "warm_parent" not in raised.value.message and "Traceback" not in raised.value.message
    assert_left_nothing(sandbox)


# --- what code nodes are for --------------------------------------------------------------


def test_main_gets_its_params_and_returns_a_nested_dict(sandbox):
    code = """
import json
import math
from collections import Counter

def main(params):
    words = params["text"].split()
    return {
        "root": math.sqrt(params["n"]),
        "counts": dict(Counter(words)),
        "nested": {"list": [1, 2.5, None, True], "json": json.dumps({"a": params["n"]})},
    }
"""
    result = sandbox.run(code, {"text": "a b a", "n": 16})

    assert result == {"root": 4.0, "counts": {"a": 2, "b": 1}, "nested": {"list": [1, 2.5, None, True], "json": '{"a": 16}'}}
    assert_left_nothing(sandbox)


def test_code_may_use_its_own_working_folder(sandbox):
    code = """
def main(params):
    with open("notes.txt", "w") as f:
        f.write(params["text"])
    with open("notes.txt") as f:
        return {"read": f.read()}
"""
    assert sandbox.run(code, {"text": "草稿"}) == {"read": "草稿"}
    assert_left_nothing(sandbox)


def test_allowed_modules_are_importable(sandbox):
    code = """
import base64, datetime, decimal, fractions, hashlib, itertools, random, re, statistics, string, time, uuid

def main(params):
    return {
        "b64": base64.b64encode(b"hi").decode(),
        "sha": hashlib.sha256(b"x").hexdigest()[:8],
        "mean": statistics.mean([1, 2, 3]),
        "match": bool(re.fullmatch(r"\\d+", "123")),
        "uuid": len(str(uuid.uuid4())),
        "rand": 0 <= random.random() < 1,
        "year": datetime.date(2024, 5, 1).year,
        "now": time.time() > 0,
    }
"""
    assert sandbox.run(code, {}) == {"b64": "aGk=", "sha": "2d711642", "mean": 2, "match": True, "uuid": 36, "rand": True, "year": 2024, "now": True}


def test_what_allowed_modules_load_lazily_works(sandbox):
    # strptime imports _strptime and codecs import encodings.<name> on first use; a child running
    # as nobody may not reach the standard library's files, so the parent loads them beforehand.
    code = """
import datetime

def main(params):
    return {
        "date": datetime.datetime.strptime(params["date"], "%Y-%m-%d").date().isoformat(),
        "gbk": params["text"].encode("gbk").hex(),
        "big5": params["text"].encode("big5").hex(),
        "escaped": params["text"].encode("unicode_escape").decode(),
    }
"""
    result = sandbox.run(code, {"date": "2024-05-01", "text": "中文"})
    assert result == {"date": "2024-05-01", "gbk": "d6d0cec4", "big5": "a4a4a4e5", "escaped": "\\u4e2d\\u6587"}


@pytest.mark.parametrize(
    "code, message",
    [
        ("def main(params):\n    return 1 / 0\n", "ZeroDivisionError: division by zero (line 2)"),
        ("def main(params)\n    return {}\n", "SyntaxError: expected ':' (line 1)"),
        ("def handler(params):\n    return {}\n", "the code must define a function main(params)"),
        ("def main(params):\n    return [1, 2]\n", "main must return a dict, not list"),
        ("def main(params):\n    return {'s': {1, 2}}\n", "the result of main is not JSON"),
        ("def main(params):\n    return {'x': float('nan')}\n", "the result of main is not JSON"),
        ("import os\ndef main(params):\n    return {}\n", "ImportError: import of 'os' is not allowed in the sandbox (line 1)"),
        ("import subprocess\ndef main(params):\n    return {}\n", "import of 'subprocess' is not allowed"),
        ("def main(params):\n    raise SystemExit(3)\n", "SystemExit: 3 (line 2)"),
    ],
)
def test_user_code_errors_are_clear(sandbox, code, message):
    assert_refused(sandbox, code, message)


# --- secrets on disk and in the environment --------------------------------------------------


@pytest.mark.parametrize("name", [".env", "storage/jwt_secret_key", "storage/llmops.db"])
def test_secret_files_cannot_be_read(sandbox, exposed_app_dir, name):
    path = exposed_app_dir / name
    assert path.read_bytes()  # readable by anyone, as far as file permissions go

    assert_refused(sandbox, f"def main(params):\n    return {{'data': open({str(path)!r}, 'rb').read().hex()}}\n", "Permission denied")
    by_os = OS_BY_SUBCLASSES + f"def main(params):\n    fd = os_globals['open']({str(path)!r}, 0)\n    return {{'data': os_globals['read'](fd, 100).hex()}}\n"
    assert_refused(sandbox, by_os, "Permission denied")
    listing = OS_BY_SUBCLASSES + f"def main(params):\n    return {{'names': os_globals['listdir']({str(exposed_app_dir)!r})}}\n"
    assert_refused(sandbox, listing, "Permission denied")


def test_sqlite_database_cannot_be_opened(sandbox, exposed_app_dir):
    path = exposed_app_dir / "storage" / "llmops.db"
    code = REAL_IMPORT + f"def main(params):\n    db = real_import('sqlite3').connect({str(path)!r})\n    return {{'rows': db.execute('select * from account').fetchall()}}\n"

    with pytest.raises(SandboxError):
        sandbox.run(code, {})
    assert_left_nothing(sandbox)


def test_the_environment_of_the_service_is_not_visible(monkeypatch):
    secret = secrets.token_hex(16)
    monkeypatch.setenv("LLMOPS_SANDBOX_TEST_SECRET", secret)
    listener = socket.create_server(("127.0.0.1", 0))
    code_sandbox = CodeSandbox(SandboxLimits(timeout=5))
    try:
        pid = parent_pid(code_sandbox)
        # The warm parent holds no secret and none of the service's files or sockets.
        assert secret.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
        fd_targets = {fd: os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert [fd for fd, target in fd_targets.items() if target.startswith("socket:")] == ["0"]  # its control channel
        assert f"socket:[{os.fstat(listener.fileno()).st_ino}]" not in fd_targets.values()

        # Its own, the warm parent's, and the service's (this process, which holds the secret).
        for path in ("/proc/self/environ", f"/proc/{pid}/environ", f"/proc/{os.getpid()}/environ", "/proc/1/environ"):
            assert_refused(code_sandbox, f"def main(params):\n    return {{'env': open({path!r}, 'rb').read().decode()}}\n", "Permission denied")
        environ = OS_BY_SUBCLASSES + "def main(params):\n    return {'env': dict(os_globals['environ'])}\n"
        assert secret not in str(code_sandbox.run(environ, {}))
        # Format strings reach attributes and items, never anything the process does not hold.
        by_format = OS_BY_SUBCLASSES.replace("os_globals = ", "wrap_close = ").replace(".__init__.__globals__", "")
        by_format += "def main(params):\n    return {'env': '{0.__init__.__globals__[environ]}'.format(wrap_close)}\n"
        formatted = code_sandbox.run(by_format, {})["env"]
        assert formatted.startswith("environ(") and secret not in formatted
        assert_left_nothing(code_sandbox)
    finally:
        code_sandbox.close()
        listener.close()


# --- network -----------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def assert_no_connection(listener: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        listener.accept()


@pytest.mark.parametrize("port", [5432, 6379, None])
def test_no_connection_can_be_made(sandbox, listener, port):
    port = port or listener.getsockname()[1]
    by_socket = REAL_IMPORT + f"def main(params):\n    real_import('socket').create_connection(('127.0.0.1', {port}), timeout=1)\n    return {{'connected': True}}\n"
    # socket(AF_INET, SOCK_STREAM, 0) called directly, whether or not the socket module loads.
    by_ctypes = REAL_IMPORT + "def main(params):\n    libc = real_import('ctypes').CDLL(None)\n    return {'fd': libc.socket(2, 1, 0)}\n"

    with pytest.raises(SandboxError):
        sandbox.run(by_socket, {})
    assert_refused(sandbox, by_ctypes, FORBIDDEN)
    assert_no_connection(listener)


# --- processes, memory, time, output ----------------------------------------------------------


@pytest.mark.parametrize(
    "attack",
    [
        "os = real_import('os')\n    while True:\n        os.fork()",
        "return {'status': real_import('os').system('cat /etc/hostname')}",
        "sp = real_import('subprocess')\n    return {'out': sp.run(['cat', '/etc/hostname'], capture_output=True).stdout.decode()}",
        "return {'pid': real_import('ctypes').CDLL(None).fork()}",
        "real_import('os').execv('/bin/sh', ['sh', '-c', 'id'])",
        "thread = real_import('threading').Thread(target=print)\n    thread.start()\n    return {}",
        "libc = real_import('ctypes').CDLL(None)\n    return {'r': libc.ptrace(0, 0, 0, 0)}",
        "return {'r': real_import('os').kill(1, 0)}",
    ],
    ids=["fork-bomb", "os.system", "subprocess", "ctypes-fork", "execv", "thread", "ptrace", "kill"],
)
def test_no_process_or_thread_can_be_started_or_touched(sandbox, attack):
    assert_refused(sandbox, REAL_IMPORT + "def main(params):\n    " + attack + "\n", FORBIDDEN)


def test_memory_bomb_hits_the_memory_limit(sandbox):
    code = "def main(params):\n    hoard = []\n    while True:\n        hoard.append(' ' * 10_000_000)\n"
    assert_refused(sandbox, code, "memory limit exceeded (256 MB)")
    assert_refused(sandbox, "def main(params):\n    return {'x': ' ' * 10**10}\n", "memory limit exceeded")


def test_infinite_loop_is_killed_at_the_timeout(sandbox):
    assert_refused(sandbox, "while True:\n    pass\n", "timed out after 1 s", timeout=1)
    assert_refused(sandbox, "def main(params):\n    while True:\n        pass\n", "timed out after 0.5 s", timeout=0.5)


def test_cpu_time_is_limited_apart_from_the_wall_clock():
    code_sandbox = CodeSandbox(SandboxLimits(timeout=10, cpu_seconds=1))
    try:
        assert_refused(code_sandbox, "def main(params):\n    while True:\n        pass\n", "CPU time limit exceeded (1 s)")
    finally:
        code_sandbox.close()


@pytest.mark.parametrize(
    "params, timeout, message",
    [
        ({"when": object()}, None, "the parameters are not JSON"),
        ({"x": float("nan")}, None, "the parameters are not JSON"),
        ({}, 0, "the timeout must be more than 0"),
        ({}, -1, "the timeout must be more than 0"),
        ({}, float("nan"), "the timeout must be more than 0"),
        ({}, float("inf"), "at most 3600 seconds"),
    ],
)
def test_bad_params_and_timeouts_are_refused_before_running(sandbox, params, timeout, message):
    with pytest.raises(SandboxError, match=message):
        sandbox.run("def main(params):\n    return {}\n", params, timeout=timeout)


@pytest.mark.parametrize(
    "code",
    [
        "def main(params):\n    print('x' * 100 * 1024 * 1024)\n    return {}\n",
        "def main(params):\n    for _ in range(100 * 1024):\n        print('x' * 1024)\n    return {}\n",
        "def main(params):\n    return {'out': 'x' * 100 * 1024 * 1024}\n",
        "def main(params):\n    return {'out': ['x' * 1024] * 100 * 1024}\n",
        # Written straight to the result pipe, past the child's own check.
        REAL_IMPORT + "def main(params):\n    os = real_import('os')\n    for fd in range(3, 32):\n        try:\n            os.write(fd, b'x' * 100 * 1024 * 1024)\n        except OSError:\n            pass\n    return {}\n",
    ],
    ids=["print", "print-lines", "returned", "returned-list", "raw-pipe"],
)
def test_100_mb_of_output_is_refused(sandbox, code):
    assert_refused(sandbox, code, "output too large (limit 1048576 bytes)")


def test_a_result_under_the_cap_comes_back_whole(sandbox):
    result = sandbox.run("def main(params):\n    print('x' * 1000)\n    return {'out': 'y' * 500_000}\n", {})
    assert result == {"out": "y" * 500_000}


# --- the filesystem -----------------------------------------------------------------------------


def test_nothing_can_be_written_outside_the_working_folder(sandbox, exposed_app_dir):
    targets = [exposed_app_dir / f"written-{secrets.token_hex(4)}", Path(tempfile.gettempdir()) / f"written-{secrets.token_hex(4)}"]
    for target in targets:
        assert_refused(sandbox, f"def main(params):\n    open({str(target)!r}, 'w').write('x')\n    return {{}}\n", "Permission denied")
        assert not target.exists()
    assert_refused(sandbox, "def main(params):\n    open('../escaped', 'w').write('x')\n    return {}\n", "Permission denied")
    by_os = OS_BY_SUBCLASSES + f"def main(params):\n    os_globals['mkdir']({str(targets[0])!r})\n    return {{}}\n"
    assert_refused(sandbox, by_os, "Permission denied")
    assert not targets[0].exists()


def test_own_memory_cannot_be_written_through_proc(sandbox):
    assert_refused(sandbox, "def main(params):\n    open('/proc/self/mem', 'wb').write(b'x')\n    return {}\n", "Permission denied")


# --- reaching the interpreter's internals ---------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        # gi_frame / f_back: up to the child's own frames, whose globals hold os and ctypes.
        """
def main(params):
    def climb():
        frame = generator.gi_frame.f_back
        while frame is not None:
            if "os" in frame.f_globals:
                yield frame.f_globals["os"]
            frame = frame.f_back
    generator = climb()
    return {"status": next(generator).system("id")}
""",
        # A traceback's frames, then a ctypes handle found there, calling socket().
        """
def main(params):
    try:
        raise ValueError()
    except ValueError as error:
        frame = error.__traceback__.tb_frame
    while "_libc" not in frame.f_globals:
        frame = frame.f_back
    return {"fd": frame.f_globals["_libc"].socket(2, 1, 0)}
""",
        # __subclasses__ → __globals__ of os.
        OS_BY_SUBCLASSES + "def main(params):\n    return {'status': os_globals['system']('id')}\n",
        # __builtins__ of a function's globals → the real __import__.
        "import json\ndef main(params):\n    real = json.dumps.__globals__['__builtins__']['__import__']\n    return {'pid': real('os').fork()}\n",
    ],
    ids=["gi_frame-f_back", "traceback-frames", "subclasses-globals", "builtins"],
)
def test_walking_frames_and_subclasses_reaches_nothing(sandbox, code):
    assert_refused(sandbox, code, FORBIDDEN)


def test_format_string_attribute_access_is_harmless(sandbox):
    code = "def main(params):\n    return {'text': '{0.__globals__[__builtins__]}'.format(main)[:20], 'cls': '{0.__class__}'.format(())}\n"
    assert sandbox.run(code, {}) == {"text": "{'__name__': 'builti", "cls": "<class 'tuple'>"}
    assert_left_nothing(sandbox)


# --- many runs, and a parent that dies ------------------------------------------------------------


def test_20_concurrent_runs_all_get_their_own_result(sandbox):
    code = "import time\ndef main(params):\n    time.sleep(0.05)\n    return {'double': params['n'] * 2}\n"
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda n: sandbox.run(code, {"n": n}), range(20)))

    assert results == [{"double": n * 2} for n in range(20)]
    assert_left_nothing(sandbox)


def test_runs_past_the_concurrency_limit_wait_their_turn():
    code_sandbox = CodeSandbox(SandboxLimits(timeout=5, max_concurrent_runs=2))
    try:
        code = "import time\ndef main(params):\n    time.sleep(0.05)\n    return {'n': params['n']}\n"
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda n: code_sandbox.run(code, {"n": n}), range(8)))
        assert results == [{"n": n} for n in range(8)]
    finally:
        code_sandbox.close()


def test_runs_spread_over_several_parents():
    code_sandbox = CodeSandbox(SandboxLimits(timeout=5, parents=3))
    try:
        code = "def main(params):\n    return {'n': params['n']}\n"
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda n: code_sandbox.run(code, {"n": n}), range(12)))
        assert results == [{"n": n} for n in range(12)]
    finally:
        code_sandbox.close()


def test_a_dead_parent_is_replaced_transparently():
    code_sandbox = CodeSandbox(SandboxLimits(timeout=5))
    try:
        pid = parent_pid(code_sandbox)
        os.kill(pid, signal.SIGKILL)

        assert code_sandbox.run("def main(params):\n    return {'ok': 2}\n", {}) == {"ok": 2}
        assert parent_pid(code_sandbox) != pid
        assert not Path(f"/proc/{pid}").exists()
    finally:
        code_sandbox.close()


def test_a_run_in_flight_when_the_parent_dies_is_retried_on_a_new_one():
    code_sandbox = CodeSandbox(SandboxLimits(timeout=5))
    try:
        pid = parent_pid(code_sandbox)
        result = {}
        runner = threading.Thread(
            target=lambda: result.update(code_sandbox.run("import time\ndef main(params):\n    time.sleep(1)\n    return {'ok': 1}\n", {}))
        )
        runner.start()
        while not children_of(pid):
            pass
        os.kill(pid, signal.SIGKILL)
        runner.join()

        assert result == {"ok": 1}
        assert_left_nothing(code_sandbox)
    finally:
        code_sandbox.close()


def test_a_closed_sandbox_refuses_runs_and_leaves_no_parent():
    code_sandbox = CodeSandbox(SandboxLimits(timeout=5))
    pid = parent_pid(code_sandbox)
    work_dir = os.readlink(f"/proc/{pid}/cwd")
    code_sandbox.close()

    assert not Path(f"/proc/{pid}").exists()
    assert not Path(work_dir).exists()
    with pytest.raises(SandboxError, match="closed"):
        code_sandbox.run("def main(params):\n    return {}\n", {})


def test_a_process_forked_from_the_service_starts_its_own_parent(sandbox):
    original = parent_pid(sandbox)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # a prefork worker, say
        try:
            os.write(write_fd, json.dumps([sandbox.run("def main(params):\n    return {'n': params['n']}\n", {"n": 7}), parent_pid(sandbox)]).encode())
            sandbox.close()
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        result, forked_parent = json.loads(reader.read())
    os.waitpid(pid, 0)

    assert result == {"n": 7}
    assert forked_parent != original
    assert sandbox.run("def main(params):\n    return {'n': 8}\n", {}) == {"n": 8}
    assert parent_pid(sandbox) == original


def test_a_parent_whose_children_cannot_run_is_refused():
    # Fail closed: every new parent runs a self-test first; here the children's address space is
    # smaller than the interpreter they inherit.
    code_sandbox = CodeSandbox(SandboxLimits(memory_mb=16))
    try:
        with pytest.raises(SandboxError, match="the code sandbox is unavailable"):
            code_sandbox.run("def main(params):\n    return {}\n", {})
    finally:
        code_sandbox.close()


def test_the_app_binds_one_sandbox_from_its_settings_and_starts_it_on_the_first_run(tmp_path):
    settings = make_settings(tmp_path, sandbox=SandboxSettings(_env_file=None, code_sandbox_timeout=3, code_sandbox_parents=2))
    injector = create_app(settings).extensions["injector"]
    code_sandbox = injector.get(CodeSandbox)
    try:
        assert code_sandbox is injector.get(CodeSandbox)
        assert (code_sandbox.limits.timeout, code_sandbox.limits.parents, code_sandbox.limits.memory_mb) == (3, 2, 256)
        assert code_sandbox.parent_pids == []

        assert code_sandbox.run("def main(params):\n    return {'ok': params['ok']}\n", {"ok": True}) == {"ok": True}
        assert len(code_sandbox.parent_pids) == 1
        assert_refused(code_sandbox, "while True:\n    pass\n", "timed out after 3 s")
    finally:
        code_sandbox.close()
