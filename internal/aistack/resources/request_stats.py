"""Request figures kept cheaply: latencies fall into geometric buckets (each 1.25× the last,
0.1 ms to ~2 min) so that counts from any number of processes and windows add up, and
percentiles come from the merged histogram (exact to within one bucket, i.e. ±12%)."""

import math
from dataclasses import dataclass, field

FIRST_BOUND_MS = 0.1
GROWTH = 1.25
BUCKETS = 64
# Upper bound of each bucket; the last one holds everything slower.
BOUNDS_MS = tuple(FIRST_BOUND_MS * GROWTH**i for i in range(BUCKETS))
_LOG_GROWTH = math.log(GROWTH)


def bucket_of(latency_ms: float) -> int:
    if latency_ms <= FIRST_BOUND_MS:
        return 0
    return min(BUCKETS - 1, math.ceil(math.log(latency_ms / FIRST_BOUND_MS) / _LOG_GROWTH - 1e-9))


@dataclass
class RouteFigures:
    """Counts of one route: in a process's window, or merged over a period."""

    count: int = 0
    errors: int = 0
    client_errors: int = 0
    latency_ms: float = 0.0
    histogram: dict[int, int] = field(default_factory=dict)  # bucket → requests

    def add(self, bucket: int, count: int, errors: int, client_errors: int, latency_ms: float) -> None:
        self.count += count
        self.errors += errors
        self.client_errors += client_errors
        self.latency_ms += latency_ms
        self.histogram[bucket] = self.histogram.get(bucket, 0) + count

    def percentile(self, fraction: float) -> float:
        """The latency (ms) below which `fraction` of the requests fell, interpolated within its bucket."""
        if not self.count:
            return 0.0
        rank = fraction * self.count
        seen = 0
        for bucket in sorted(self.histogram):
            in_bucket = self.histogram[bucket]
            if seen + in_bucket >= rank:
                low = BOUNDS_MS[bucket - 1] if bucket else 0.0
                return low + (BOUNDS_MS[bucket] - low) * max(rank - seen, 0) / in_bucket
            seen += in_bucket
        return BOUNDS_MS[-1]
