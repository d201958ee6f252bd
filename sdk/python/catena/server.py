"""client.server: ServerService (info, ping) and the standard grpc.health.v1 Health check."""
from __future__ import annotations

from catena.transport import Service, rpc
from catena.v1 import server_pb2, server_pb2_grpc

_HEALTH_METHOD = "/grpc.health.v1.Health/Check"
_HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def _encode_health_request(service: str) -> bytes:
    # HealthCheckRequest{service = 1 (string)}: encoded by hand so that no health stubs are needed.
    data = service.encode()
    out = bytearray()
    if data:
        out.append(0x0A)
        length = len(data)
        while length >= 0x80:
            out.append((length & 0x7F) | 0x80)
            length >>= 7
        out.append(length)
        out += data
    return bytes(out)


def _decode_health_status(data: bytes) -> str:
    # HealthCheckResponse{status = 1 (enum)}; the values are < 128, so one varint byte.
    if len(data) >= 2 and data[0] == 0x08:
        return _HEALTH_STATUS.get(data[1], "UNKNOWN")
    return "UNKNOWN"


class ServerClient(Service):
    """Facts about the server and connectivity checks."""

    _stub_class = server_pb2_grpc.ServerServiceStub

    def __init__(self, transport):
        super().__init__(transport)
        self._health = transport.channel.unary_unary(
            _HEALTH_METHOD, request_serializer=lambda raw: raw, response_deserializer=lambda raw: raw)

    @rpc("catena.v1.ServerService/GetServerInfo")
    def info(self, *, timeout=None) -> server_pb2.GetServerInfoResponse:
        """Version, services, uptime, and the tenant and request id the server attributed this call to."""
        return self._unary("GetServerInfo", server_pb2.GetServerInfoRequest(), idempotent=True, timeout=timeout)

    @rpc("catena.v1.ServerService/Ping")
    def ping(self, payload: bytes | str = b"", *, delay_ms: int = 0, timeout=None) -> bytes:
        """Echo of `payload`, answered after delay_ms on the server."""
        if isinstance(payload, str):
            payload = payload.encode()
        request = server_pb2.PingRequest(payload=payload, delay_ms=delay_ms)
        return self._unary("Ping", request, idempotent=True, timeout=timeout).payload

    def health(self, service: str = "", *, timeout=None) -> str:
        """grpc.health.v1 status of `service` ("" = the server): "SERVING", "NOT_SERVING", ... NotFound for a
        service the server does not know."""
        raw = self._transport.unary(self._health, _encode_health_request(service), name="grpc.health.v1.Health/Check",
                                    idempotent=True, timeout=timeout)
        return _decode_health_status(raw)
