"""ServerService, health, typed errors, deadlines and retries against a real catenad."""
import socket
import threading
import time

import pytest

import catena
from conftest import start_catenad, stop


def test_server_info_reports_the_tenant_and_the_services(client, tenant):
    info = client.server.info()
    assert info.tenant == tenant
    assert {"catena.v1.ServerService", "catena.v1.InferenceService", "catena.v1.EmbeddingService",
            "catena.v1.RetrievalService", "catena.v1.MemoryService",
            "catena.v1.PipelineService"} <= set(info.services)
    assert info.version.count(".") == 2
    assert info.uptime_seconds >= 0


def test_without_a_tenant_the_server_uses_its_default_tenant(catenad):
    with catena.Catena(catenad, tenant=None) as client:
        assert client.server.info().tenant == "default"


def test_ping_echoes_bytes_and_text(client):
    assert client.server.ping(b"\x00\x01abc") == b"\x00\x01abc"
    assert client.server.ping("hello", delay_ms=20) == b"hello"


def test_health_reports_serving_services_and_not_found_for_unknown_ones(client):
    assert client.server.health() == "SERVING"
    assert client.server.health("catena.v1.RetrievalService") == "SERVING"
    with pytest.raises(catena.NotFound):
        client.server.health("catena.v1.Nope")


def test_invalid_arguments_raise_a_typed_error_with_code_and_details(client):
    with pytest.raises(catena.InvalidArgument) as raised:
        client.server.ping(delay_ms=-1)
    assert raised.value.code.name == "INVALID_ARGUMENT"
    assert "delay_ms" in raised.value.details
    assert raised.value.method == "catena.v1.ServerService/Ping"
    assert isinstance(raised.value, catena.CatenaError)


def test_a_per_call_timeout_overrides_the_client_default(client):
    start = time.monotonic()
    with pytest.raises(catena.DeadlineExceeded):
        client.server.ping(b"slow", delay_ms=3000, timeout=0.3)
    assert time.monotonic() - start < 2.0
    # The client default (30 s) lets the same call finish.
    assert client.server.ping(b"slow", delay_ms=300) == b"slow"


def test_the_client_default_timeout_applies_to_every_call(catenad):
    with catena.Catena(catenad, timeout=0.3) as client:
        with pytest.raises(catena.DeadlineExceeded):
            client.server.ping(delay_ms=3000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_idempotent_calls_are_retried_until_a_late_server_is_up():
    port = free_port()
    started = {}

    def start_later():
        time.sleep(1.0)
        started["process"], started["address"] = start_catenad("--service", "memory", grpc_port=port)

    thread = threading.Thread(target=start_later)
    thread.start()
    # Enough attempts that the call's 30 s deadline, not the attempt count, bounds the wait for a slow start.
    retries = catena.RetryOptions(max_attempts=1000, initial_backoff=0.1, max_backoff=0.3)
    try:
        with catena.Catena(f"127.0.0.1:{port}", retries=retries, timeout=30) as client:
            start = time.monotonic()
            assert client.server.ping(b"late") == b"late"
            assert time.monotonic() - start >= 0.5  # it failed first and waited for the server
    finally:
        thread.join()
        if "process" in started:
            stop(started["process"])


def test_unavailable_is_not_retried_for_non_idempotent_calls_and_retries_stop_after_max_attempts():
    address = f"127.0.0.1:{free_port()}"  # nothing listens here
    retries = catena.RetryOptions(max_attempts=3, initial_backoff=0.4, max_backoff=0.4, multiplier=1)
    with catena.Catena(address, retries=retries, timeout=10) as client:
        start = time.monotonic()
        with pytest.raises(catena.Unavailable):
            client.retrieval.collections.create("c", dimension=4)
        assert time.monotonic() - start < 0.35  # no backoff sleep: one attempt only
        start = time.monotonic()
        with pytest.raises(catena.Unavailable):
            client.server.info()
        assert time.monotonic() - start < 3.0  # three attempts, two backoffs of at most 0.4 s


def test_retries_never_outlast_the_deadline():
    address = f"127.0.0.1:{free_port()}"
    retries = catena.RetryOptions(max_attempts=100, initial_backoff=0.2, max_backoff=0.2, multiplier=1)
    with catena.Catena(address, retries=retries) as client:
        start = time.monotonic()
        with pytest.raises(catena.Unavailable):
            client.server.info(timeout=1.0)
        assert time.monotonic() - start < 1.5
