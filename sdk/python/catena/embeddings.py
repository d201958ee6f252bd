"""client.embeddings: EmbeddingService (embed texts, list embedders)."""
from __future__ import annotations

import dataclasses

from catena.convert import enum_value
from catena.transport import Service, rpc
from catena.v1 import common_pb2, embedding_pb2, embedding_pb2_grpc


@dataclasses.dataclass
class EmbedResult:
    """Vectors in input order, the embedder that made them, its dimension and token usage."""
    model: str
    dimension: int
    vectors: list
    usage: common_pb2.Usage


class EmbeddingsClient(Service):
    _stub_class = embedding_pb2_grpc.EmbeddingServiceStub

    @rpc("catena.v1.EmbeddingService/Embed")
    def embed(self, inputs, *, model: str = "", normalize: bool = False, kind: str = "document",
              timeout=None) -> EmbedResult:
        """Embeds one text or a list of texts; kind is "document" or "query"."""
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        request = embedding_pb2.EmbedRequest(
            model=model, inputs=texts, normalize=normalize,
            input_kind=enum_value(embedding_pb2.EmbedRequest.InputKind, "INPUT_KIND", kind, "kind"))
        response = self._unary("Embed", request, idempotent=True, timeout=timeout)
        return EmbedResult(model=response.model, dimension=response.dimension,
                           vectors=[list(e.values) for e in response.embeddings], usage=response.usage)

    @rpc("catena.v1.EmbeddingService/ListEmbedders")
    def list_embedders(self, *, timeout=None) -> list:
        """EmbedderInfo (name, dimension, kind, max_input_tokens) of each embedder the server can use."""
        return list(self._unary("ListEmbedders", embedding_pb2.ListEmbeddersRequest(), idempotent=True,
                                timeout=timeout).embedders)
