"""The sandbox code nodes run in, built from settings; its warm parent starts on the first run."""

import atexit

from config import Settings
from pkg.sandbox import CodeSandbox, SandboxLimits


def create_code_sandbox(settings: Settings) -> CodeSandbox:
    sandbox_settings = settings.sandbox
    limits = SandboxLimits(
        timeout=sandbox_settings.code_sandbox_timeout,
        memory_mb=sandbox_settings.code_sandbox_memory_mb,
        cpu_seconds=sandbox_settings.code_sandbox_cpu_seconds or None,
        max_output_bytes=sandbox_settings.code_sandbox_max_output_bytes,
        parents=sandbox_settings.code_sandbox_parents,
        max_concurrent_runs=sandbox_settings.code_sandbox_max_concurrent_runs,
    )
    sandbox = CodeSandbox(limits)
    atexit.register(sandbox.close)
    return sandbox
