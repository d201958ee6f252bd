"""TLS (server authentication and mutual TLS) and the bearer token, for the Python SDK and for the C++ SDK through
the `catena` CLI, against the small recording TLS server in fake_server.py."""
import os
import subprocess

import pytest

import catena
from conftest import BUILD
from fake_server import FakeServer, make_certificate


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("certs")
    server = make_certificate(directory, "server")
    client = make_certificate(directory, "client")
    other = make_certificate(directory, "other")
    return {"server": server, "client": client, "other": other}


@pytest.fixture
def tls_server(certs):
    server = FakeServer(*certs["server"])
    yield server
    server.stop()


@pytest.fixture
def mtls_server(certs):
    server = FakeServer(*certs["server"], client_ca=certs["client"][0])
    yield server
    server.stop()


def test_tls_with_the_server_root_connects_and_sends_token_and_tenant(tls_server, certs):
    tls = catena.TlsOptions(root_certs=certs["server"][0])
    with catena.Catena(tls_server.address, tls=tls, token="s3cret", tenant="acme", timeout=10) as client:
        info = client.server.info()
        assert info.version == "9.9.9" and info.tenant == "acme"
        assert client.server.ping("x") == b"x"
    assert len(tls_server.service.metadata) == 2
    for metadata in tls_server.service.metadata:
        assert metadata["authorization"] == "Bearer s3cret"
        assert metadata["x-catena-tenant"] == "acme"


def test_without_a_token_no_authorization_header_is_sent(tls_server, certs):
    with catena.Catena(tls_server.address, tls=catena.TlsOptions(root_certs=certs["server"][0])) as client:
        client.server.ping()
    assert "authorization" not in tls_server.service.metadata[0]


def test_tls_fails_without_the_right_root_and_plaintext_fails(tls_server, certs):
    no_retry = catena.RetryOptions(max_attempts=1)
    for tls in (catena.TlsOptions(root_certs=certs["other"][0]), None):
        with catena.Catena(tls_server.address, tls=tls, retries=no_retry, timeout=5) as client:
            with pytest.raises(catena.Unavailable):
                client.server.info()
    assert tls_server.service.metadata == []


def test_mutual_tls_needs_the_client_certificate(mtls_server, certs):
    no_retry = catena.RetryOptions(max_attempts=1)
    root = certs["server"][0]
    with catena.Catena(mtls_server.address, tls=catena.TlsOptions(root_certs=root), retries=no_retry,
                       timeout=5) as client:
        with pytest.raises(catena.Unavailable):
            client.server.ping()
    cert, key = certs["client"]
    tls = catena.TlsOptions(root_certs=root.read_bytes(), client_cert=cert, client_key=str(key))
    with catena.Catena(mtls_server.address, tls=tls, timeout=5) as client:
        assert client.server.ping(b"mtls") == b"mtls"
    with pytest.raises(ValueError):
        catena.TlsOptions(root_certs=root, client_cert=cert).credentials()


def run_cli(*args, env_token=None):
    env = {k: v for k, v in os.environ.items() if k != "CATENA_TOKEN"}
    if env_token is not None:
        env["CATENA_TOKEN"] = env_token
    return subprocess.run([str(BUILD / "bin" / "catena"), *args], capture_output=True, text=True, timeout=30, env=env)


def test_the_cpp_sdk_sends_the_token_over_tls_from_the_flag_or_the_environment(tls_server, certs):
    ca = str(certs["server"][0])
    flag = run_cli("--address", tls_server.address, "--tls-ca", ca, "--token", "from-flag", "--tenant", "acme",
                   "ping", "hello")
    assert flag.returncode == 0, flag.stderr
    env = run_cli("--address", tls_server.address, "--tls-ca", ca, "ping", "hello", env_token="from-env")
    assert env.returncode == 0, env.stderr
    seen = tls_server.service.metadata
    assert [m.get("authorization") for m in seen] == ["Bearer from-flag", "Bearer from-env"]
    assert seen[0]["x-catena-tenant"] == "acme"
    plaintext = run_cli("--address", tls_server.address, "--timeout", "3", "ping")
    assert plaintext.returncode == 1
    wrong_ca = run_cli("--address", tls_server.address, "--tls-ca", str(certs["other"][0]), "--timeout", "3", "ping")
    assert wrong_ca.returncode == 1
    assert len(seen) == 2


def test_the_cpp_sdk_does_mutual_tls_with_a_client_certificate(mtls_server, certs):
    cert, key = certs["client"]
    ok = run_cli("--address", mtls_server.address, "--tls-ca", str(certs["server"][0]), "--tls-cert", str(cert),
                 "--tls-key", str(key), "ping", "m")
    assert ok.returncode == 0, ok.stderr
    missing = run_cli("--address", mtls_server.address, "--tls-ca", str(certs["server"][0]), "--timeout", "3", "ping")
    assert missing.returncode == 1
    bad = run_cli("--address", mtls_server.address, "--tls-ca", "/nonexistent/ca.pem", "ping")
    assert bad.returncode == 2 and "/nonexistent/ca.pem" in bad.stderr
