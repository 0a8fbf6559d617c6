"""Runs untrusted Python `main(params)` in confined, short-lived processes (seccomp, Landlock, rlimits)."""

from .sandbox import CodeSandbox, SandboxError, SandboxLimits

__all__ = ["CodeSandbox", "SandboxError", "SandboxLimits"]
