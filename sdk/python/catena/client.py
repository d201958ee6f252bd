"""Catena: the entry point of the SDK, one object per catenad address with a wrapper per service."""
from __future__ import annotations

from catena.embeddings import EmbeddingsClient
from catena.inference import InferenceClient
from catena.memory import MemoryClient
from catena.options import RetryOptions, TlsOptions
from catena.pipelines import PipelinesClient
from catena.retrieval import RetrievalClient
from catena.server import ServerClient
from catena.transport import Transport


class Catena:
    """A client of one catenad.

    address: "host:port". tenant: sent as x-catena-tenant on every call (None = the server's default tenant).
    token: sent as "authorization: Bearer <token>". tls: None (plaintext), True (system roots) or TlsOptions.
    timeout: default deadline of each call in seconds (every method also takes timeout=). retries: RetryOptions
    for idempotent calls failing with UNAVAILABLE. channel_options: extra grpc channel arguments. channel: an
    existing grpc.Channel to use instead (e.g. one with interceptors); tls and channel_options are then ignored.

    Services: .server, .inference (with .inference.models), .embeddings, .retrieval (with
    .retrieval.collections), .memory, .pipelines. Thread-safe; use as a context manager or call close().
    """

    def __init__(self, address: str = "localhost:50051", *, tenant: str | None = "default", token: str | None = None,
                 tls: TlsOptions | bool | None = None, timeout: float | None = 30.0,
                 retries: RetryOptions | None = None, channel_options=None, channel=None):
        self._transport = Transport(address, tenant=tenant, token=token, tls=tls, timeout=timeout,
                                    retries=retries, channel_options=channel_options, channel=channel)
        self.server = ServerClient(self._transport)
        self.inference = InferenceClient(self._transport)
        self.embeddings = EmbeddingsClient(self._transport)
        self.retrieval = RetrievalClient(self._transport)
        self.memory = MemoryClient(self._transport)
        self.pipelines = PipelinesClient(self._transport)

    @property
    def address(self) -> str:
        return self._transport.address

    @property
    def channel(self):
        """The underlying grpc.Channel (for raw stubs)."""
        return self._transport.channel

    def close(self):
        """Closes the channel; in-flight calls are cancelled."""
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Catena({self.address!r})"
