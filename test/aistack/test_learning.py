"""AI Stack self-learning (aistack-api.md "学习反馈" … "模型重训练", port 8019): interactions sent
or made by rating the caller's own messages, topic patterns from the local embeddings and
keywords, the model's improvement suggestions with their evidence, and retraining jobs (data
set, evaluation of an improved prompt, submission to the fake model's fine-tuning API)."""

import json
import time
import uuid
from datetime import timedelta

import pytest

from config import Settings
from internal.aistack.learning.models import RetrainJob
from internal.aistack.learning.retrain_service import RetrainService
from internal.extension.database import db, utcnow
from test.aistack.client import AIStackClient, assert_error, data_of, issue_token
from test.api.knowledge_base import wait_for
from test.conftest import create_member
from test.fakes.openai_server import ChatReply, ToolCall, conversation_text

POLL_INTERVAL = 0.25
RETURNS = [
    "我想退货，怎么申请退货退款？",
    "退货退款需要多久才能到账？",
    "商品退货的运费谁承担？",
]
PASSWORDS = [
    "忘记登录密码了怎么重置密码？",
    "重置密码的验证码收不到怎么办？",
    "怎么修改账户登录密码？",
]


@pytest.fixture
def learner(app, client) -> AIStackClient:
    """A signed-in caller on the main server's prefix (the address matters in one test only)."""
    return _caller(app, client, "prefix")


def _caller(app, client, via: str) -> AIStackClient:
    member = create_member(app, client, name="Learner")
    stack = AIStackClient(client, issue_token(client, member.email, member.password), via)
    stack.member = member
    return stack


def record(stack: AIStackClient, user_input: str, system_response: str, feedback: str) -> dict:
    body = {"user_input": user_input, "system_response": system_response, "feedback": feedback}
    return data_of(stack.post("learning", "/api/learning/interactions", json=body), 201)


def test_interactions_are_recorded_listed_and_owned_on_both_addresses(app, client, via):
    stack, other = _caller(app, client, via), _caller(app, client, via)
    made = record(stack, "用户输入", "系统响应", "positive")
    assert (made["user_input"], made["system_response"], made["feedback"], made["source"]) == ("用户输入", "系统响应", "positive", "api")
    assert made["message_id"] is None and made["created_at"].endswith("Z")
    record(stack, "另一个问题", "不好的回答", "negative")

    assert data_of(stack.get("learning", f"/api/learning/interactions/{made['interaction_id']}")) == made
    resp = stack.get("learning", "/api/learning/interactions?filter[feedback]=negative")
    listed = data_of(resp)
    assert [item["user_input"] for item in listed] == ["另一个问题"] and resp.json["pagination"]["total_items"] == 1
    assert data_of(other.get("learning", "/api/learning/interactions")) == []
    assert_error(other.get("learning", f"/api/learning/interactions/{made['interaction_id']}"), 404, "RESOURCE_NOT_FOUND")


def test_an_interaction_is_validated_field_by_field(learner):
    post = lambda body: learner.post("learning", "/api/learning/interactions", json=body)  # noqa: E731
    assert_error(post({"user_input": "a", "system_response": "b", "feedback": "great"}), 400, "INVALID_INPUT", "feedback")
    assert_error(post({"user_input": "  ", "system_response": "b", "feedback": "neutral"}), 400, "INVALID_INPUT", "user_input")
    assert_error(post({"user_input": "a", "feedback": "neutral"}), 400, "INVALID_INPUT", "system_response")
    assert data_of(learner.get("learning", "/api/learning/interactions")) == []


def test_rating_a_message_of_the_callers_chat_makes_an_interaction(app, client, learner, llm):
    marker = uuid.uuid4().hex[:8]
    llm.script_chat(marker, f"退货请在订单页申请 {marker}")
    chat = AIStackClient(client, learner.token, "prefix")
    reply = data_of(chat.post("chat", "/api/chat/message", json={"message": f"怎么退货 {marker}"}))
    message_id = reply["context"]["message_id"]

    rated = data_of(learner.post("learning", f"/api/learning/messages/{message_id}/feedback", json={"feedback": "negative"}))
    assert (rated["source"], rated["message_id"], rated["feedback"]) == ("message", message_id, "negative")
    assert rated["user_input"] == f"怎么退货 {marker}" and rated["system_response"] == f"退货请在订单页申请 {marker}"

    # Rating it again changes the one interaction of the message.
    again = data_of(learner.post("learning", f"/api/learning/messages/{message_id}/feedback", json={"feedback": "positive"}))
    assert again["interaction_id"] == rated["interaction_id"] and again["feedback"] == "positive"
    assert [i["feedback"] for i in data_of(learner.get("learning", "/api/learning/interactions?filter[source]=message"))] == ["positive"]

    other = _caller(app, client, "prefix")
    for stack, target in ((other, message_id), (learner, str(uuid.uuid4()))):
        resp = stack.post("learning", f"/api/learning/messages/{target}/feedback", json={"feedback": "positive"})
        assert_error(resp, 404, "RESOURCE_NOT_FOUND")
    assert_error(
        learner.post("learning", f"/api/learning/messages/{message_id}/feedback", json={"feedback": "bad"}), 400, "INVALID_INPUT", "feedback"
    )


def _two_topics(stack: AIStackClient) -> dict[str, list[str]]:
    """Three interactions about returns (two rated negative) and three about passwords (positive)."""
    ids = {"returns": [], "passwords": [], "negative": []}
    for i, text in enumerate(RETURNS):
        feedback = "negative" if i < 2 else "neutral"
        made = record(stack, text, "请联系客服。", feedback)
        ids["returns"].append(made["interaction_id"])
        if feedback == "negative":
            ids["negative"].append(made["interaction_id"])
    for text in PASSWORDS:
        ids["passwords"].append(record(stack, text, "在登录页点击“忘记密码”，按短信验证码重置。", "positive")["interaction_id"])
    return ids


def test_patterns_cluster_interactions_by_topic(learner):
    assert data_of(learner.get("learning", "/api/learning/patterns")) == {"patterns": [], "total_interactions": 0, "total_patterns": 0}
    ids = _two_topics(learner)
    data = data_of(learner.get("learning", "/api/learning/patterns"))
    assert data["total_interactions"] == 6 and data["total_patterns"] == 2, data
    by_keyword = {("退货" in p["keywords"], "密码" in p["keywords"]): p for p in data["patterns"]}
    returns, passwords = by_keyword[(True, False)], by_keyword[(False, True)]
    assert sorted(returns["example_interaction_ids"]) == sorted(ids["returns"])
    assert (returns["frequency"], returns["negative_count"], returns["negative_rate"], returns["positive_rate"]) == (3, 2, 0.6667, 0.0)
    assert (passwords["frequency"], passwords["negative_rate"], passwords["positive_rate"], passwords["share"]) == (3, 0.0, 1.0, 0.5)
    assert sorted(p["pattern_id"] for p in data["patterns"]) == [1, 2]

    assert len(data_of(learner.get("learning", "/api/learning/patterns?limit=1"))["patterns"]) == 1
    assert_error(learner.get("learning", "/api/learning/patterns?limit=0"), 400, "INVALID_INPUT", "limit")


def _advice(topics: list[tuple[int, str, str]]) -> ChatReply:
    args = {"topics": [{"topic": n, "problem": p, "suggestion": s} for n, p, s in topics]}
    return ChatReply(tool_calls=[ToolCall("ImprovementAdvice", args)])


def test_improvements_come_from_the_model_with_their_evidence(learner, llm):
    assert data_of(learner.get("learning", "/api/learning/improvements")) == {
        "improvements": [], "analyzed_patterns": 0, "method": "model", "model_error": None
    }  # fmt: skip
    ids = _two_topics(learner)
    llm.script_chat(RETURNS[0], _advice([(1, "回答没有给出退货步骤", "在提示词中加入退货流程说明")]))
    data = data_of(learner.get("learning", "/api/learning/improvements"))
    assert (data["analyzed_patterns"], data["method"]) == (1, "model")  # the password topic has no negative feedback
    [improvement] = data["improvements"]
    assert improvement["suggestion"] == "在提示词中加入退货流程说明" and improvement["problem"] == "回答没有给出退货步骤"
    assert sorted(improvement["evidence"]) == sorted(ids["negative"])
    assert "退货" in improvement["keywords"] and improvement["frequency"] == 3

    [request] = llm.chat_requests(RETURNS[0])
    assert request["tools"][0]["function"]["name"] == "ImprovementAdvice"
    assert "请联系客服" in conversation_text(request) and PASSWORDS[0] not in conversation_text(request)

    # A model that fails: plain suggestions from the topic's figures, the same evidence.
    llm.fail_next("POST /v1/chat/completions", 500, "boom")
    data = data_of(learner.get("learning", "/api/learning/improvements"))
    assert data["method"] == "heuristic" and "boom" in data["model_error"]
    [plain] = data["improvements"]
    assert sorted(plain["evidence"]) == sorted(ids["negative"]) and "2条回答收到负面反馈" in plain["problem"]


def test_without_a_model_improvements_and_retraining_are_unavailable(app, learner):
    _two_topics(learner)
    config = app.extensions["injector"].get(Settings).aistack_learning
    config.aistack_learning_model_provider = "no-such-provider"
    try:
        improvements = learner.get("learning", "/api/learning/improvements")
        retrain = learner.post("learning", "/api/learning/retrain", json={"model_type": "response_generator"})
    finally:
        config.aistack_learning_model_provider = ""
    assert "AISTACK_LEARNING_MODEL" in assert_error(improvements, 503, "SERVICE_UNAVAILABLE")["message"]
    assert "AISTACK_LEARNING_MODEL" in assert_error(retrain, 503, "SERVICE_UNAVAILABLE")["message"]


def _wait_for_job(app, stack: AIStackClient, job_id: str) -> dict:
    def finished():
        time.sleep(POLL_INTERVAL)
        state = data_of(stack.get("learning", f"/api/learning/retrain/{job_id}"))
        return state if state["status"] in ("completed", "failed") else None

    return wait_for(app, finished, f"retraining job {job_id}")


def test_retraining_builds_the_data_set_evaluates_the_prompt_and_submits_it(app, client, llm):
    stack, other = _caller(app, client, "port"), _caller(app, client, "prefix")
    marker = uuid.uuid4().hex[:8]
    answer = f"在登录页点击“忘记密码”，按短信验证码重置。{marker}"
    for text in PASSWORDS:  # the newest one is held out
        record(stack, f"{text} {marker}", answer, "positive")
    record(stack, f"退货怎么办 {marker}", "请联系客服。", "negative")
    improved = f"你是客服助手，回答要给出具体步骤。IMPROVED-{marker}"
    llm.script_chat(
        "Current system prompt",
        ChatReply(tool_calls=[ToolCall("ImprovedPrompt", {"system_prompt": improved, "rationale": "给出步骤"})]),
    )
    llm.script_chat(f"IMPROVED-{marker}", answer)
    llm.script_chat(lambda body: PASSWORDS[-1] in conversation_text(body) and "IMPROVED" not in conversation_text(body), "我不知道。")

    started = data_of(stack.post("learning", "/api/learning/retrain", json={"model_type": "response_generator"}), 201)
    assert started["status"] in ("pending", "running", "completed") and started["model_type"] == "response_generator"
    done = _wait_for_job(app, stack, started["job_id"])
    assert done["status"] == "completed" and done["error"] == "", done
    assert (done["training_examples"], done["holdout_examples"], done["improved_prompt"]) == (2, 1, improved)
    evaluation = done["evaluation"]
    assert evaluation["prompt_improved"] is True and evaluation["improved_score"] > evaluation["baseline_score"], evaluation
    assert evaluation["holdout_size"] == 1 and evaluation["improved_score"] > 0.99

    # The data set: the two older positive interactions, with the better (improved) prompt.
    assert done["dataset_url"] == f"/api/learning/retrain/{started['job_id']}/dataset"
    resp = stack.get("learning", done["dataset_url"])
    assert resp.status_code == 200 and resp.mimetype == "application/jsonl"
    lines = [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    assert [line["messages"][1]["content"] for line in lines] == [f"{text} {marker}" for text in PASSWORDS[:2]]
    assert all(line["messages"][0] == {"role": "system", "content": improved} for line in lines)
    assert all(line["messages"][2] == {"role": "assistant", "content": answer} for line in lines)

    # Submitted to the provider's fine-tuning API: the uploaded file is the data set.
    fine_tune = done["fine_tune"]
    assert (fine_tune["provider"], fine_tune["status"]) == ("openai", "validating_files")
    [job] = [job for job in llm.fine_tuning_jobs if job["id"] == fine_tune["job_id"]]
    assert job["training_file"] == fine_tune["file_id"] and job["model"] == fine_tune["model"]
    assert llm.fine_tuning_files[fine_tune["file_id"]]["lines"] == lines

    assert_error(other.get("learning", f"/api/learning/retrain/{started['job_id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(other.get("learning", done["dataset_url"]), 404, "RESOURCE_NOT_FOUND")


def test_retraining_needs_positive_interactions_and_a_known_model_type(learner):
    record(learner, "问题", "回答", "positive")
    resp = learner.post("learning", "/api/learning/retrain", json={"model_type": "response_generator"})
    assert "至少需要3条" in assert_error(resp, 400, "INVALID_INPUT", "interactions")["message"]
    assert_error(learner.post("learning", "/api/learning/retrain", json={"model_type": "x"}), 400, "INVALID_INPUT", "model_type")
    assert_error(learner.get("learning", f"/api/learning/retrain/{uuid.uuid4()}"), 404, "RESOURCE_NOT_FOUND")


def test_a_refused_submission_fails_the_job_and_keeps_its_artefacts(app, learner, llm):
    marker = uuid.uuid4().hex[:8]
    for text in PASSWORDS:
        record(learner, f"{text} {marker}", f"回答 {marker}", "positive")
    llm.script_chat(
        "Current system prompt",
        ChatReply(tool_calls=[ToolCall("ImprovedPrompt", {"system_prompt": f"更好的提示 {marker}", "rationale": "r"})]),
    )
    llm.fail_next("POST /v1/fine_tuning/jobs", 400, "quota exhausted")
    started = data_of(learner.post("learning", "/api/learning/retrain", json={}), 201)
    done = _wait_for_job(app, learner, started["job_id"])
    assert done["status"] == "failed" and "quota exhausted" in done["error"], done
    assert done["evaluation"]["holdout_size"] == 1 and done["dataset_url"] and done["fine_tune"] is None


def test_jobs_whose_worker_is_gone_are_failed_by_the_sweep(app, learner):
    """A job left `running` (its worker died) or `pending` (the embedded queue went with a
    restart) long ago is failed by the periodic sweep; a recent one is left alone."""
    with app.app_context():
        long_ago = utcnow() - timedelta(days=1)
        rows = [
            RetrainJob(account_id=learner.member.id, model_type="response_generator", status="running", updated_at=long_ago),
            RetrainJob(account_id=learner.member.id, model_type="response_generator", status="pending", updated_at=long_ago),
            RetrainJob(account_id=learner.member.id, model_type="response_generator", status="running"),
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [str(row.id) for row in rows]
        app.extensions["injector"].get(RetrainService).sweep_stale_jobs()
        db.session.remove()
    states = [data_of(learner.get("learning", f"/api/learning/retrain/{job_id}")) for job_id in ids]
    assert [state["status"] for state in states] == ["failed", "failed", "running"]
    assert "中断" in states[0]["error"] and states[0]["dataset_url"] is None
