"""ReminderService.take_for_reply, which the chat center's reply calls: a reply in a session shows
that session's fired reminders and those made without a session, each in one reply only."""

import threading
import uuid

from internal.aistack.chat.reminders.service import ReminderService, reminders_notice

from .reminders import create, get, make_due, prefix_caller, sweep


def take_reminders(app, account_id, session_id: str):
    with app.app_context():
        return app.extensions["injector"].get(ReminderService).take_for_reply(account_id, session_id)


def take(app, account_id, session_id: str) -> list[str]:
    return [str(reminder.reminder_id) for reminder in take_reminders(app, account_id, session_id)]


def test_a_reply_takes_its_sessions_and_sessionless_fired_reminders_once(app, client):
    stack = prefix_caller(app, client)
    other = prefix_caller(app, client)
    account_id = stack.member.id
    mine = create(stack, title="s1的提醒", session_id="s1")["reminder_id"]
    elsewhere = create(stack, title="s2的提醒", session_id="s2")["reminder_id"]
    anywhere = create(stack, title="不限会话")["reminder_id"]
    not_yet = create(stack, title="还没到时间", session_id="s1")["reminder_id"]
    foreign = create(other, title="别人的", session_id="s1")["reminder_id"]
    make_due(app, [mine, elsewhere, anywhere, foreign])
    assert take(app, account_id, "s1") == []  # not fired yet: nothing to show
    sweep(app)

    taken = take_reminders(app, account_id, "s1")
    assert sorted(str(r.reminder_id) for r in taken) == sorted([mine, anywhere])
    shown = {r.reminder_id: r.as_dict() for r in taken}
    assert shown[uuid.UUID(mine)] == {
        key: get(stack, mine)[key] for key in ("reminder_id", "title", "content", "remind_at", "fired_at", "session_id")
    }
    assert "⏰ 提醒：s1的提醒——三楼会议室" in reminders_notice(taken).splitlines()
    assert take(app, account_id, "s1") == []  # shown once
    assert take(app, account_id, "s2") == [elsewhere]
    assert get(stack, mine)["shown_at"] and get(stack, not_yet)["shown_at"] is None
    assert take(app, other.member.id, "s2") == []
    assert take(app, uuid.uuid4(), "s1") == []


def test_replies_running_at_once_show_each_reminder_once(app, client):
    stack = prefix_caller(app, client)
    ids = [create(stack, title=f"提醒{i}", session_id="busy")["reminder_id"] for i in range(8)]
    make_due(app, ids)
    sweep(app)

    start = threading.Barrier(5)
    taken: list[list[str]] = []

    def reply():
        start.wait()
        taken.append(take(app, stack.member.id, "busy"))

    threads = [threading.Thread(target=reply) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shown = [reminder_id for one_reply in taken for reminder_id in one_reply]
    assert len(taken) == 5 and sorted(shown) == sorted(ids)
