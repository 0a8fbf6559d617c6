"""The generic run stream with an event type of its own (not the agent's): the first event at
once, the run's events in order, its last event from the sink, keep-alive pings, stop, the
deadline and a run that raises; on the embedded queue and on Redis."""

import threading
import time
import uuid
from dataclasses import dataclass

from flask import Flask

from config.settings import AgentSettings
from internal.core.run_stream import RunSink, RunStreamer
from test.conftest import make_settings

OWNER = "account:1"
# Every wait here is bounded by this, far above what a healthy run needs.
GENEROUS = 5.0


@dataclass
class Chunk:
    """A stand-in for another kind of run (speech, a workflow node): only `is_terminal` matters."""

    kind: str
    text: str = ""

    @property
    def is_terminal(self) -> bool:
        return self.kind in ("end", "stop", "timeout", "error")


def streamer(tmp_path, run_queue, **agent) -> RunStreamer:
    settings = make_settings(tmp_path, agent=AgentSettings(_env_file=None, **agent))
    return RunStreamer(Flask(__name__), settings, run_queue)


def start(runs: RunStreamer, work, deadline: float | None = None, end_early=None):
    task_id = uuid.uuid4()
    sink: RunSink[Chunk] = runs.sink(task_id, lambda result: Chunk("end", result))
    events = runs.start(
        task_id,
        OWNER,
        lambda: work(sink),
        deadline=deadline if deadline is not None else runs.deadline(),
        ping=lambda: Chunk("ping"),
        end_early=end_early or (lambda timed_out: Chunk("timeout" if timed_out else "stop")),
        on_error=lambda exc: Chunk("error", str(exc)),
    )
    return task_id, events


def drain(events, within: float = GENEROUS) -> list[Chunk]:
    ends_by = time.monotonic() + within
    seen = []
    for event in events:
        seen.append(event)
        assert time.monotonic() < ends_by, seen
    return seen


def test_first_event_then_the_runs_events_then_its_last_event(tmp_path, run_queue):
    runs = streamer(tmp_path, run_queue)
    seen_in_run = []

    def work(sink):
        seen_in_run.append(threading.current_thread().name)
        for word in ("a", "b", "c"):
            sink.publish(Chunk("text", word))
        sink.finish("done")

    task_id, events = start(runs, work)
    seen = drain(events)

    assert [(e.kind, e.text) for e in seen] == [("ping", ""), ("text", "a"), ("text", "b"), ("text", "c"), ("end", "done")]
    assert seen_in_run == [f"run-{task_id}"]


def test_pings_keep_a_silent_stream_alive(tmp_path, run_queue):
    runs = streamer(tmp_path, run_queue, agent_ping_interval=0.05)
    release = threading.Event()

    def work(sink):
        release.wait(GENEROUS)
        sink.finish("late")

    _, events = start(runs, work)
    pings = 0
    for event in events:
        if event.kind == "ping":
            pings += 1
            if pings == 3:
                release.set()
        else:
            assert event.kind == "end" and pings >= 3
            break


def test_a_stop_ends_the_stream_at_once_with_the_callers_last_event(tmp_path, run_queue):
    runs = streamer(tmp_path, run_queue)
    release = threading.Event()
    stopped_seen = threading.Event()

    def work(sink):
        release.wait(GENEROUS)
        if sink.is_stopped():
            stopped_seen.set()

    task_id, events = start(runs, work)
    assert next(events).kind == "ping"
    assert not runs.stop(task_id, "someone else")
    assert runs.stop(task_id, OWNER)

    assert [e.kind for e in drain(events)] == ["stop"]
    release.set()
    assert stopped_seen.wait(GENEROUS)


def test_past_the_deadline_a_silent_run_times_out(tmp_path, run_queue):
    runs = streamer(tmp_path, run_queue, agent_ping_interval=0.05)
    release = threading.Event()

    _, events = start(runs, lambda sink: release.wait(GENEROUS), deadline=time.monotonic() - 10)

    kinds = [e.kind for e in drain(events)]
    release.set()
    assert kinds[0] == "ping" and kinds[-1] == "timeout"


def test_a_run_that_raises_ends_its_stream_with_the_error_event(tmp_path, run_queue):
    runs = streamer(tmp_path, run_queue)

    def work(sink):
        sink.publish(Chunk("text", "partial"))
        raise RuntimeError("broken run")

    _, events = start(runs, work)

    assert [(e.kind, e.text) for e in drain(events)] == [("ping", ""), ("text", "partial"), ("error", "broken run")]
