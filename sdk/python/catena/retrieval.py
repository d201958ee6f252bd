"""client.retrieval: RetrievalService (client.retrieval.collections for create/list/describe/delete; upsert, get,
delete, search with dense/sparse/hybrid modes and filters, ingest and streamed ingest)."""
from __future__ import annotations

from collections.abc import Mapping

from catena import convert
from catena.transport import Service, paged, rpc
from catena.v1 import common_pb2, retrieval_pb2, retrieval_pb2_grpc


def _fields(fields) -> list:
    """FieldSchemas from {"name": "type"} or [{"name", "type", "indexed"}]."""
    if isinstance(fields, Mapping):
        fields = [{"name": name, "type": kind} for name, kind in fields.items()]
    out = []
    for field in fields or ():
        if isinstance(field, retrieval_pb2.FieldSchema):
            out.append(field)
            continue
        out.append(retrieval_pb2.FieldSchema(
            name=field["name"], indexed=field.get("indexed", False),
            type=convert.enum_value(retrieval_pb2.FieldType, "FIELD_TYPE", field.get("type"), "fields.type")))
    return out


def _raw_document(value) -> retrieval_pb2.RawDocument:
    """A RawDocument from {"source", "content" (str or bytes), "mime_type", "metadata" (str -> str)}."""
    if isinstance(value, retrieval_pb2.RawDocument):
        return value
    content = value.get("content", b"")
    if isinstance(content, str):
        content = content.encode()
    return retrieval_pb2.RawDocument(source=value["source"], content=content, mime_type=value.get("mime_type", ""),
                                     metadata={k: str(v) for k, v in value.get("metadata", {}).items()})


class CollectionsClient(Service):
    """client.retrieval.collections: per-tenant collections."""

    _stub_class = retrieval_pb2_grpc.RetrievalServiceStub

    @rpc("catena.v1.RetrievalService/CreateCollection")
    def create(self, name: str, *, dimension: int, metric: str = "cosine", index: str = "", embedder: str = "",
               fields=None, sparse: bool | None = None, timeout=None) -> retrieval_pb2.Collection:
        """Creates a collection; metric "cosine" | "inner_product" | "l2"; index a FAISS factory string ("Flat",
        "HNSW32", ...); fields {"name": "string"|"int"|"float"|"bool"|"string_list"|"timestamp"}."""
        spec = retrieval_pb2.CollectionSpec(
            dimension=dimension, index=index, embedder=embedder, fields=_fields(fields),
            metric=convert.enum_value(retrieval_pb2.Metric, "METRIC", metric, "metric"))
        if sparse is not None:
            spec.sparse.value = sparse
        request = retrieval_pb2.CreateCollectionRequest(name=name, spec=spec)
        return self._unary("CreateCollection", request, idempotent=False, timeout=timeout)

    @rpc("catena.v1.RetrievalService/ListCollections")
    def list(self, *, page_size: int = 0, timeout=None) -> list:
        """Every collection of the tenant (all pages)."""
        def fetch(**page):
            request = retrieval_pb2.ListCollectionsRequest(page=common_pb2.PageRequest(**page))
            return self._unary("ListCollections", request, idempotent=True, timeout=timeout)
        return list(paged(fetch, "collections", page_size))

    @rpc("catena.v1.RetrievalService/DescribeCollection")
    def describe(self, name: str, *, timeout=None) -> retrieval_pb2.Collection:
        """Spec, document count and training state of a collection."""
        request = retrieval_pb2.DescribeCollectionRequest(name=name)
        return self._unary("DescribeCollection", request, idempotent=True, timeout=timeout)

    @rpc("catena.v1.RetrievalService/DeleteCollection")
    def delete(self, name: str, *, timeout=None) -> None:
        """Deletes a collection and its documents."""
        request = retrieval_pb2.DeleteCollectionRequest(name=name)
        self._unary("DeleteCollection", request, idempotent=False, timeout=timeout)


class RetrievalClient(Service):
    _stub_class = retrieval_pb2_grpc.RetrievalServiceStub

    def __init__(self, transport):
        super().__init__(transport)
        self.collections = CollectionsClient(transport)

    @rpc("catena.v1.RetrievalService/Upsert")
    def upsert(self, collection: str, documents, *, timeout=None) -> list:
        """Inserts or replaces documents (dicts {"id", "text", "metadata", "source", "embedding"} or Documents);
        returns their ids. Retried on UNAVAILABLE only when every document has an id."""
        docs = [convert.document(d) for d in documents]
        request = retrieval_pb2.UpsertRequest(collection=collection, documents=docs)
        idempotent = all(d.id for d in docs)
        return list(self._unary("Upsert", request, idempotent=idempotent, timeout=timeout).ids)

    @rpc("catena.v1.RetrievalService/Get")
    def get(self, collection: str, ids, *, include_embeddings: bool = False, timeout=None) -> list:
        """The Documents with these ids, in request order; missing ids are skipped."""
        request = retrieval_pb2.GetRequest(collection=collection, ids=list(ids), include_embeddings=include_embeddings)
        return list(self._unary("Get", request, idempotent=True, timeout=timeout).documents)

    @rpc("catena.v1.RetrievalService/Delete")
    def delete(self, collection: str, *, ids=None, filter: str = "", timeout=None) -> int:
        """Deletes by ids or by a filter expression (exactly one); returns how many were deleted."""
        request = retrieval_pb2.DeleteRequest(collection=collection, ids=list(ids or ()), filter=filter)
        return self._unary("Delete", request, idempotent=False, timeout=timeout).deleted

    @rpc("catena.v1.RetrievalService/Search")
    def search(self, collection: str, query: str = "", *, vector=None, k: int = 10, mode: str = "dense",
               filter: str = "", fusion: str = "", dense_weight: float = 0.0, mmr_lambda: float = 0.0,
               ef_search: int = 0, nprobe: int = 0, include_embeddings: bool = False, timeout=None) -> list:
        """SearchHits (document, score, dense_score, sparse_score, highlights), best first. mode "dense" |
        "sparse" | "hybrid"; fusion "rrf" | "weighted" (with dense_weight); filter e.g. 'lang == "en"'."""
        request = retrieval_pb2.SearchRequest(
            collection=collection, query=query, vector=list(vector or ()), k=k, filter=filter, fusion=fusion,
            dense_weight=dense_weight, mmr_lambda=mmr_lambda, ef_search=ef_search, nprobe=nprobe,
            include_embeddings=include_embeddings,
            mode=convert.enum_value(retrieval_pb2.SearchMode, "SEARCH_MODE", mode, "mode"))
        return list(self._unary("Search", request, idempotent=True, timeout=timeout).hits)

    def _ingest_request(self, collection, documents, splitter, text_field):
        splitter = splitter or {}
        if not isinstance(splitter, retrieval_pb2.SplitterSpec):
            splitter = retrieval_pb2.SplitterSpec(**splitter)
        return retrieval_pb2.IngestRequest(collection=collection, documents=[_raw_document(d) for d in documents],
                                           splitter=splitter, text_field=text_field)

    @rpc("catena.v1.RetrievalService/Ingest")
    def ingest(self, collection: str, documents, *, splitter=None, text_field: str = "",
               timeout=None) -> retrieval_pb2.IngestResponse:
        """Loads raw documents ({"source", "content", "mime_type", "metadata"}), splits, embeds and indexes them.
        splitter: {"kind": "recursive"|"token"|"markdown"|"sentence", "chunk_size", "chunk_overlap"}."""
        request = self._ingest_request(collection, documents, splitter, text_field)
        return self._unary("Ingest", request, idempotent=False, timeout=timeout)

    @rpc("catena.v1.RetrievalService/IngestStream")
    def ingest_stream(self, collection: str, documents, *, splitter=None, text_field: str = "", timeout=None):
        """Like ingest, yielding IngestProgress after each document; the last one carries `result`."""
        request = self._ingest_request(collection, documents, splitter, text_field)
        return self._stream("IngestStream", request, idempotent=False, timeout=timeout)
