"""The machine as psutil sees it: its figures now (cpu, memory, disk, as the document's
example shows them) and this process's own. CPU usage is the share since the previous
sample, sampled at most once a second so that a burst of requests does not read noise."""

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

MB = 1024 * 1024
SAMPLE_EVERY = 1.0


@dataclass(frozen=True)
class Capacity:
    cores: int
    memory_mb: int


def machine_capacity() -> Capacity:
    return Capacity(cores=psutil.cpu_count(logical=True) or 1, memory_mb=psutil.virtual_memory().total // MB)


class MachineSampler:
    def __init__(self, disk_path: Path):
        self.disk_path = disk_path
        self.process = psutil.Process(os.getpid())
        self._lock = threading.Lock()
        # The first call of each starts the interval the next one measures.
        self._cpu = psutil.cpu_percent(interval=None)
        self._process_cpu = self.process.cpu_percent(interval=None)
        self._sampled_at = time.monotonic()

    def _cpu_figures(self) -> tuple[float, float]:
        with self._lock:
            if time.monotonic() - self._sampled_at >= SAMPLE_EVERY:
                self._cpu = psutil.cpu_percent(interval=None)
                self._process_cpu = self.process.cpu_percent(interval=None)
                self._sampled_at = time.monotonic()
            return self._cpu, self._process_cpu

    def sample(self) -> dict:
        cpu, process_cpu = self._cpu_figures()
        memory = psutil.virtual_memory()
        memory_used = memory.total - memory.available
        disk = psutil.disk_usage(str(self.disk_path))
        with self.process.oneshot():
            process = {
                "pid": self.process.pid,
                "rss": self.process.memory_info().rss,
                "cpu_percent": round(process_cpu, 1),
                "threads": self.process.num_threads(),
                "open_files": len(self.process.open_files()),
                "uptime_seconds": round(time.time() - self.process.create_time(), 1),
            }
        return {
            "cpu": {"usage_percent": round(cpu, 1), "cores": psutil.cpu_count(logical=True) or 1},
            "memory": {"used": memory_used, "total": memory.total, "usage_percent": round(memory_used * 100 / memory.total, 1)},
            "disk": {"used": disk.used, "total": disk.total, "usage_percent": round(disk.used * 100 / disk.total, 1)},
            "process": process,
        }
