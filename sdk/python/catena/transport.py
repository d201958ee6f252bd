"""The call layer under every service wrapper: one gRPC channel, the tenant and authorization metadata, per-call
deadlines, retries of idempotent calls on UNAVAILABLE, and grpc.RpcError -> CatenaError conversion.

A Transport is thread-safe (grpc channels are); share one per address.
"""
from __future__ import annotations

import random
import threading
import time

import grpc

from catena.errors import from_rpc_error, Unavailable
from catena.options import RetryOptions, TlsOptions

TENANT_HEADER = "x-catena-tenant"
AUTHORIZATION_HEADER = "authorization"


def rpc(full_name: str):
    """Marks a wrapper method as the one that calls RPC `full_name` ("catena.v1.Service/Method")."""
    def mark(method):
        method.__catena_rpc__ = full_name
        return method
    return mark


class Transport:
    """Channel plus call policy. `timeout` is the default deadline in seconds of each call (None = no deadline)."""

    def __init__(self, address: str, *, tenant: str | None, token: str | None, tls, timeout: float | None,
                 retries: RetryOptions | None, channel_options=None, channel=None):
        if not address:
            raise ValueError("Catena: address is empty")
        self.address = address
        self.timeout = timeout
        self.retries = retries or RetryOptions()
        self._rng = random.Random()
        self._lock = threading.Lock()
        self.metadata = []
        if tenant:
            self.metadata.append((TENANT_HEADER, tenant))
        if token:
            self.metadata.append((AUTHORIZATION_HEADER, f"Bearer {token}"))
        options = [("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20),
                   # Reconnect soon after a failed connect, so that retries can reach a server that came back.
                   ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 2000)]
        options += list(channel_options or [])
        if tls is True:
            tls = TlsOptions()
        if channel is not None:
            self.channel = channel
        elif tls:
            if tls.server_name:
                options.append(("grpc.ssl_target_name_override", tls.server_name))
            self.channel = grpc.secure_channel(address, tls.credentials(), options=options)
        else:
            self.channel = grpc.insecure_channel(address, options=options)

    def close(self):
        self.channel.close()

    def _deadline(self, timeout):
        timeout = self.timeout if timeout is None else timeout
        return None if timeout is None else time.monotonic() + timeout

    def _sleep_before_retry(self, attempt: int, deadline) -> bool:
        """Sleeps the backoff of `attempt`; False (no sleep) when attempts are used up or the deadline passes."""
        if attempt >= self.retries.max_attempts:
            return False
        with self._lock:
            pause = self.retries.backoff(attempt, self._rng)
        if deadline is not None and time.monotonic() + pause >= deadline:
            return False
        time.sleep(pause)
        return True

    def unary(self, method, request, *, name: str, idempotent: bool, timeout=None):
        """Calls unary stub `method`; retries UNAVAILABLE when idempotent. Raises CatenaError."""
        deadline = self._deadline(timeout)
        attempt = 0
        while True:
            attempt += 1
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.001)
            try:
                return method(request, timeout=remaining, metadata=self.metadata)
            except grpc.RpcError as error:
                mapped = from_rpc_error(error, name)
                if not (idempotent and isinstance(mapped, Unavailable) and
                        self._sleep_before_retry(attempt, deadline)):
                    raise mapped from None

    def stream(self, method, request, *, name: str, idempotent: bool, timeout=None):
        """Calls server-streaming stub `method` and yields its messages. Retries UNAVAILABLE only before the first
        message arrived and only when idempotent. Cancels the call when the iterator is closed early."""
        deadline = self._deadline(timeout)
        attempt = 0
        while True:
            attempt += 1
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.001)
            call = method(request, timeout=remaining, metadata=self.metadata)
            received = False
            try:
                for message in call:
                    received = True
                    yield message
                return
            except grpc.RpcError as error:
                mapped = from_rpc_error(error, name)
                if received or not (idempotent and isinstance(mapped, Unavailable) and
                                    self._sleep_before_retry(attempt, deadline)):
                    raise mapped from None
            finally:
                call.cancel()


class Service:
    """Base of the service wrappers: holds the transport and one stub."""

    _stub_class = None

    def __init__(self, transport: Transport):
        self._transport = transport
        self._stub = self._stub_class(transport.channel)

    def _unary(self, method: str, request, *, idempotent: bool, timeout=None):
        full = f"catena.v1.{self._stub_class.__name__[:-4]}/{method}"
        return self._transport.unary(getattr(self._stub, method), request, name=full, idempotent=idempotent,
                                     timeout=timeout)

    def _stream(self, method: str, request, *, idempotent: bool, timeout=None):
        full = f"catena.v1.{self._stub_class.__name__[:-4]}/{method}"
        return self._transport.stream(getattr(self._stub, method), request, name=full, idempotent=idempotent,
                                      timeout=timeout)


def paged(fetch, items_field: str, page_size: int = 0, limit: int | None = None):
    """Yields every item of a paged list call. fetch(PageRequest kwargs) returns a response with items_field and
    next_page_token."""
    token = ""
    count = 0
    while True:
        response = fetch(page_size=page_size, page_token=token)
        for item in getattr(response, items_field):
            if limit is not None and count >= limit:
                return
            count += 1
            yield item
        token = response.next_page_token
        if not token:
            return


__all__ = ["Transport", "Service", "rpc", "paged"]
