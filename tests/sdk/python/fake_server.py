"""A tiny TLS gRPC server implementing catena.v1.ServerService that records the metadata of every call, for the
TLS and token tests of the Python SDK and of the C++ CLI. Certificates are made with `openssl req`."""
import concurrent.futures
import subprocess
import threading

import grpc

from catena.v1 import server_pb2, server_pb2_grpc


def make_certificate(directory, name="server"):
    """Writes a self-signed certificate for localhost/127.0.0.1 and its key; returns (cert path, key path)."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class RecordingServerService(server_pb2_grpc.ServerServiceServicer):
    def __init__(self):
        self.metadata = []
        self.lock = threading.Lock()

    def _record(self, context):
        with self.lock:
            self.metadata.append(dict(context.invocation_metadata()))

    def GetServerInfo(self, request, context):
        self._record(context)
        return server_pb2.GetServerInfoResponse(version="9.9.9", services=["catena.v1.ServerService"],
                                                tenant=dict(context.invocation_metadata()).get("x-catena-tenant", ""))

    def Ping(self, request, context):
        self._record(context)
        return server_pb2.PingResponse(payload=request.payload)


class FakeServer:
    """Serves RecordingServerService on 127.0.0.1 with TLS; client_ca requires client certificates signed by it."""

    def __init__(self, cert, key, client_ca=None):
        self.service = RecordingServerService()
        self.server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
        server_pb2_grpc.add_ServerServiceServicer_to_server(self.service, self.server)
        credentials = grpc.ssl_server_credentials(
            [(key.read_bytes(), cert.read_bytes())],
            root_certificates=client_ca.read_bytes() if client_ca else None,
            require_client_auth=client_ca is not None)
        self.port = self.server.add_secure_port("127.0.0.1:0", credentials)
        self.address = f"127.0.0.1:{self.port}"
        self.server.start()

    def stop(self):
        self.server.stop(grace=None)
