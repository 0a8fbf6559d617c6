"""Datasets and the apps that bind them: related_app_count, and unbinding when a dataset is deleted."""

import uuid

from internal.service.app_config_service import AppConfigService
from test.api.apps import create_app, get_draft, publish, update_draft
from test.api.knowledge_base import create_dataset, service, wait_for


def related_app_count(client, member, dataset_id):
    detail = client.get(f"/datasets/{dataset_id}", headers=member.headers).json["data"]
    listed = client.get("/datasets", query_string={"search_word": detail["name"]}, headers=member.headers).json["data"]
    (item,) = [d for d in listed["list"] if d["id"] == dataset_id]
    assert item["related_app_count"] == detail["related_app_count"]
    return detail["related_app_count"]


def test_related_app_count_counts_apps_binding_the_dataset(client, member):
    dataset_id = create_dataset(client, member)
    assert related_app_count(client, member, dataset_id) == 0

    first, second = create_app(client, member), create_app(client, member)
    update_draft(client, member, first, {"datasets": [dataset_id]})
    assert related_app_count(client, member, dataset_id) == 1
    update_draft(client, member, second, {"datasets": [dataset_id]})
    assert related_app_count(client, member, dataset_id) == 2

    # Still bound through the published configuration after the draft lets go.
    publish(client, member, first)
    update_draft(client, member, first, {"datasets": []})
    assert related_app_count(client, member, dataset_id) == 2


def test_deleting_a_dataset_unbinds_it_from_draft_and_published_configs(app, client, member):
    dataset_id = create_dataset(client, member)
    app_id = create_app(client, member)
    update_draft(client, member, app_id, {"datasets": [dataset_id]})
    publish(client, member, app_id)

    resp = client.post(f"/datasets/{dataset_id}/delete", headers=member.headers)
    assert resp.json == {"code": "success", "data": {}, "message": "删除知识库成功"}

    def published_datasets():
        with app.app_context():
            config = service(app, AppConfigService).get_config(uuid.UUID(app_id), "published")
            return config.datasets

    wait_for(app, lambda: published_datasets() == [], "the published config to drop the deleted dataset")
    assert get_draft(client, member, app_id)["datasets"] == []
