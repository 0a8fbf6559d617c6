"""Plays a small Weaviate server on 127.0.0.1 for the v4 client: REST (meta, schema, object
patches) and gRPC (batch insert, search, batch delete), with objects kept in memory.

It covers what the product uses: self-provided named vectors with cosine distance, filters on
properties and ids (equal, not equal, contains any, and, or, not), `near_vector` with a distance
limit, fetches, and deletes capped at `query_maximum_results` per call as the real server does.
Every REST request lands in `requests`, every gRPC one in `grpc_requests`.
"""

import re
import threading
import uuid
from concurrent import futures
from dataclasses import dataclass, field

import grpc
import numpy as np
from google.protobuf import json_format
from weaviate.proto.v1 import (
    base_pb2,
    batch_delete_pb2,
    batch_pb2,
    properties_pb2,
    search_get_pb2,
    weaviate_pb2_grpc,
)

from .http_server import FakeServer, RecordedRequest, Reply

_OBJECT_PATH = re.compile(r"^/v1/objects/([^/]+)/([0-9a-fA-F-]{36})$")
_SCHEMA_PATH = re.compile(r"^/v1/schema/([^/]+)$")
Operator = base_pb2.Filters


@dataclass
class StoredObject:
    id: uuid.UUID
    properties: dict
    vectors: dict[str, np.ndarray] = field(default_factory=dict)


def _error(message: str, status: int = 422) -> Reply:
    return Reply(status, {"error": [{"message": message}]})


class FakeWeaviate(FakeServer):
    query_maximum_results = 10_000

    def __init__(self, version: str = "1.30.0", api_key: str = ""):
        super().__init__()
        # FakeServer's handler knows GET/POST/PUT/DELETE/HEAD; the objects API also patches.
        handler = self.server.RequestHandlerClass
        handler.do_PATCH = handler.do_GET
        self.version = version
        self.api_key = api_key
        self.schemas: dict[str, dict] = {}
        self.collections: dict[str, dict[uuid.UUID, StoredObject]] = {}
        self.grpc_requests: list[tuple[str, object]] = []
        self.lock = threading.RLock()
        self.grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        weaviate_pb2_grpc.add_WeaviateServicer_to_server(_Servicer(self), self.grpc_server)
        self.grpc_port = self.grpc_server.add_insecure_port("127.0.0.1:0")

    def start(self):
        self.grpc_server.start()
        return super().start()

    def stop(self):
        self.grpc_server.stop(grace=None)
        super().stop()

    def authorized(self, authorization: str | None) -> bool:
        return not self.api_key or authorization == f"Bearer {self.api_key}"

    # -- REST ---------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> Reply:
        if not self.authorized(request.headers.get("authorization")):
            return _error("anonymous access not enabled", 401)
        method, path = request.method, request.path
        if method == "GET" and path == "/v1/meta":
            return Reply(200, {"hostname": "http://[::]:8080", "modules": {}, "version": self.version})
        if method == "GET" and path in ("/v1/.well-known/ready", "/v1/.well-known/live"):
            return Reply(200)
        if method == "POST" and path == "/v1/schema":
            return self._create_collection(request.json())
        if (match := _SCHEMA_PATH.match(path)) and method in ("GET", "DELETE"):
            with self.lock:
                name = match.group(1)
                if method == "DELETE":
                    self.schemas.pop(name, None)
                    self.collections.pop(name, None)
                    return Reply(200)
                return Reply(200, self.schemas[name]) if name in self.schemas else Reply(404)
        if (match := _OBJECT_PATH.match(path)) and method == "PATCH":
            return self._patch_object(match.group(1), uuid.UUID(match.group(2)), request.json())
        return _error(f"no route for {method} {path}", 404)

    def _create_collection(self, schema: dict) -> Reply:
        with self.lock:
            name = schema["class"]
            if name in self.schemas:
                return _error(f"class name {name!r} already exists")
            self.schemas[name] = schema
            self.collections[name] = {}
            return Reply(200, schema)

    def _patch_object(self, collection: str, object_id: uuid.UUID, body: dict) -> Reply:
        with self.lock:
            stored = self.collections.get(collection, {}).get(object_id)
            if stored is None:
                return Reply(404)
            stored.properties.update(body.get("properties") or {})
            return Reply(204)

    # -- gRPC ---------------------------------------------------------------------------

    def batch_objects(self, request: batch_pb2.BatchObjectsRequest) -> batch_pb2.BatchObjectsReply:
        errors = []
        with self.lock:
            for index, obj in enumerate(request.objects):
                problem = self._store(obj)
                if problem:
                    errors.append(batch_pb2.BatchObjectsReply.BatchError(index=index, error=problem))
        return batch_pb2.BatchObjectsReply(errors=errors)

    def _store(self, obj: batch_pb2.BatchObject) -> str:
        schema = self.schemas.get(obj.collection)
        if schema is None:
            return f"class {obj.collection!r} not found in schema"
        vectors = {}
        for vector in obj.vectors:
            if vector.name not in (schema.get("vectorConfig") or {}):
                return f"collection {obj.collection} has no named vector {vector.name!r}"
            vectors[vector.name] = np.frombuffer(vector.vector_bytes, dtype="<f4").copy()
            existing = next((o.vectors[vector.name] for o in self.collections[obj.collection].values() if vector.name in o.vectors), None)
            if existing is not None and existing.shape != vectors[vector.name].shape:
                return (
                    f"new node has a vector with length {vectors[vector.name].size}. "
                    f"Existing nodes have vectors with length {existing.size}"
                )
        properties = json_format.MessageToDict(obj.properties.non_ref_properties)
        object_id = uuid.UUID(obj.uuid)
        self.collections[obj.collection][object_id] = StoredObject(object_id, properties, vectors)
        return ""

    def search(self, request: search_get_pb2.SearchRequest, context) -> search_get_pb2.SearchReply:
        with self.lock:
            objects = [o for o in self.collections.get(request.collection, {}).values() if self._matches(request.filters, o)]
        if request.HasField("near_vector"):
            ranked = self._near_vector(request.near_vector, objects, context)
        else:
            ranked = [(o, None) for o in sorted(objects, key=lambda o: o.id)]
        limit = request.limit or self.query_maximum_results
        wanted = list(request.properties.non_ref_properties)
        results = []
        for obj, distance in ranked[request.offset : request.offset + limit]:
            metadata = search_get_pb2.MetadataResult(id=str(obj.id), id_as_bytes=obj.id.bytes)
            if distance is not None and request.metadata.distance:
                metadata.distance, metadata.distance_present = distance, True
            properties = properties_pb2.Properties(fields={name: _value(obj.properties[name]) for name in wanted if name in obj.properties})
            results.append(
                search_get_pb2.SearchResult(metadata=metadata, properties=search_get_pb2.PropertiesResult(non_ref_props=properties))
            )
        return search_get_pb2.SearchReply(results=results)

    def _near_vector(self, near_vector, objects: list[StoredObject], context) -> list[tuple[StoredObject, float]]:
        targets = list(near_vector.targets.target_vectors) or list(near_vector.target_vectors)
        raw = near_vector.vectors[0].vector_bytes if near_vector.vectors else near_vector.vector_bytes
        query = np.frombuffer(raw, dtype="<f4")
        ranked = []
        for obj in objects:
            names = targets or list(obj.vectors)
            if len(names) != 1:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "multiple vectors: name the target vector")
            vector = obj.vectors.get(names[0])
            if vector is None:
                continue
            if vector.shape != query.shape:
                context.abort(grpc.StatusCode.UNKNOWN, f"vector lengths don't match: {query.size} vs {vector.size}")
            norms = float(np.linalg.norm(vector) * np.linalg.norm(query))
            distance = 1.0 - (float(vector @ query) / norms if norms else 0.0)
            if near_vector.HasField("distance") and distance > near_vector.distance:
                continue
            ranked.append((obj, distance))
        return sorted(ranked, key=lambda pair: pair[1])

    def batch_delete(self, request: batch_delete_pb2.BatchDeleteRequest) -> batch_delete_pb2.BatchDeleteReply:
        with self.lock:
            stored = self.collections.get(request.collection, {})
            matching = [o.id for o in stored.values() if self._matches(request.filters, o)]
            batch = matching[: self.query_maximum_results]
            if not request.dry_run:
                for object_id in batch:
                    del stored[object_id]
        return batch_delete_pb2.BatchDeleteReply(matches=len(batch), successful=len(batch), failed=0)

    def _matches(self, filters: base_pb2.Filters, obj: StoredObject) -> bool:
        operator = filters.operator
        if operator == Operator.OPERATOR_UNSPECIFIED:
            return True
        if operator == Operator.OPERATOR_AND:
            return all(self._matches(sub, obj) for sub in filters.filters)
        if operator == Operator.OPERATOR_OR:
            return any(self._matches(sub, obj) for sub in filters.filters)
        if operator == Operator.OPERATOR_NOT:
            return not self._matches(filters.filters[0], obj)
        name = filters.target.property or (filters.on[0] if filters.on else "")
        value = str(obj.id) if name == "_id" else obj.properties.get(name)
        expected = _filter_value(filters)
        if operator == Operator.OPERATOR_EQUAL:
            return value == expected
        if operator == Operator.OPERATOR_NOT_EQUAL:
            return value != expected
        if operator == Operator.OPERATOR_CONTAINS_ANY:
            return value in expected
        raise NotImplementedError(f"the fake Weaviate does not filter with {Operator.Operator.Name(operator)}")


def _filter_value(filters: base_pb2.Filters):
    kind = filters.WhichOneof("test_value")
    value = getattr(filters, kind)
    if kind.endswith("_array"):
        return [str(v) if kind == "value_text_array" else v for v in value.values]
    return value


def _value(value) -> properties_pb2.Value:
    if isinstance(value, bool):
        return properties_pb2.Value(bool_value=value)
    if isinstance(value, (int, float)):
        return properties_pb2.Value(number_value=value)
    return properties_pb2.Value(text_value=str(value))


class _Servicer(weaviate_pb2_grpc.WeaviateServicer):
    def __init__(self, fake: FakeWeaviate):
        self.fake = fake

    def _admit(self, name: str, request, context) -> None:
        self.fake.grpc_requests.append((name, request))
        authorization = dict(context.invocation_metadata()).get("authorization")
        if not self.fake.authorized(authorization):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "anonymous access not enabled")

    def Search(self, request, context):
        self._admit("Search", request, context)
        return self.fake.search(request, context)

    def BatchObjects(self, request, context):
        self._admit("BatchObjects", request, context)
        return self.fake.batch_objects(request)

    def BatchDelete(self, request, context):
        self._admit("BatchDelete", request, context)
        return self.fake.batch_delete(request)
