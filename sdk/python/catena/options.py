"""Connection options of the Catena client: TLS credentials and the retry policy."""
from __future__ import annotations

import dataclasses
import os


def _read(value: bytes | str | os.PathLike | None) -> bytes | None:
    """PEM bytes as given, or the content of the file a str/PathLike names."""
    if value is None or isinstance(value, bytes):
        return value
    with open(value, "rb") as f:
        return f.read()


@dataclasses.dataclass(frozen=True)
class TlsOptions:
    """TLS for the channel. Each field is PEM bytes or a path to a PEM file.

    root_certs: CAs that sign the server certificate (None = the system roots).
    client_cert / client_key: the client's certificate chain and key, for mutual TLS (both or neither).
    server_name: expected name in the server certificate when it differs from the address host.
    """
    root_certs: bytes | str | os.PathLike | None = None
    client_cert: bytes | str | os.PathLike | None = None
    client_key: bytes | str | os.PathLike | None = None
    server_name: str | None = None

    def credentials(self):
        """grpc.ChannelCredentials for these options; ValueError when only one of cert/key is set."""
        import grpc
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("TlsOptions: client_cert and client_key must be given together")
        return grpc.ssl_channel_credentials(root_certificates=_read(self.root_certs),
                                            private_key=_read(self.client_key),
                                            certificate_chain=_read(self.client_cert))


@dataclasses.dataclass(frozen=True)
class RetryOptions:
    """Retries of idempotent calls that fail with UNAVAILABLE: exponential backoff with full jitter.

    Attempt n (from 1) waits uniform(0, min(max_backoff, initial_backoff * multiplier**(n-1))) seconds before the
    next one. Retries stop after max_attempts attempts or when the call's deadline would pass.
    """
    max_attempts: int = 4
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError("RetryOptions.max_attempts must be >= 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.multiplier < 1:
            raise ValueError("RetryOptions: backoffs must be >= 0 and multiplier >= 1")

    def backoff(self, attempt: int, rng) -> float:
        """Seconds to sleep after failed attempt `attempt` (1-based)."""
        cap = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return rng.uniform(0, cap)


NO_RETRIES = RetryOptions(max_attempts=1)
