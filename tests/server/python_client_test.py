"""Independent client check of catenad: Python stubs generated from our protos with Debian's grpc_tools,
run with Debian's python3-grpcio (/usr/bin/python3). Starts its own catenad on free ports.

Usage: python_client_test.py --catenad PATH --stubs DIR
"""
import argparse
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ARGS = None


def start_catenad(*extra):
    data_dir = tempfile.mkdtemp(prefix="catenad-py-")
    atexit.register(shutil.rmtree, data_dir, True)
    process = subprocess.Popen(
        [ARGS.catenad, "--grpc-port", "0", "--http-port", "0", "--data-dir", data_dir, "--log-level", "warn",
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"ready: grpc=(\S+) http=(\S+) ", line)
    if not match:
        process.kill()
        raise AssertionError(f"catenad did not start: {line!r} {process.stderr.read()}")
    return process, match.group(1)


class CatenadClientTest(unittest.TestCase):
    def setUp(self):
        import grpc
        self.grpc = grpc
        self.process, self.address = start_catenad()
        self.channel = grpc.insecure_channel(self.address)

    def tearDown(self):
        self.channel.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()

    def health_stub(self):
        import health_pb2_grpc
        return health_pb2_grpc.HealthStub(self.channel)

    def test_health_check_reports_each_service_serving(self):
        import health_pb2
        stub = self.health_stub()
        for service in ["", "catena.v1.ServerService", "catena.v1.EmbeddingService",
                        "catena.v1.RetrievalService", "catena.v1.MemoryService", "catena.v1.PipelineService"]:
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            self.assertEqual(response.status, health_pb2.HealthCheckResponse.SERVING, service)
        # Without a configured model the inference service is NOT_SERVING.
        response = stub.Check(health_pb2.HealthCheckRequest(service="catena.v1.InferenceService"), timeout=5)
        self.assertEqual(response.status, health_pb2.HealthCheckResponse.NOT_SERVING)

    def test_health_check_of_unknown_service_is_not_found(self):
        import health_pb2
        with self.assertRaises(self.grpc.RpcError) as raised:
            self.health_stub().Check(health_pb2.HealthCheckRequest(service="catena.v1.Nope"), timeout=5)
        self.assertEqual(raised.exception.code(), self.grpc.StatusCode.NOT_FOUND)

    def test_server_info_uses_tenant_header(self):
        from catena.v1 import server_pb2, server_pb2_grpc
        stub = server_pb2_grpc.ServerServiceStub(self.channel)
        info = stub.GetServerInfo(server_pb2.GetServerInfoRequest(), timeout=5,
                                  metadata=[("x-catena-tenant", "marketing"), ("x-request-id", "py-1")])
        self.assertEqual(info.tenant, "marketing")
        self.assertEqual(info.request_id, "py-1")
        self.assertIn("catena.v1.PipelineService", list(info.services))
        self.assertRegex(info.version, r"^\d+\.\d+\.\d+$")

    def test_ping_validates_delay(self):
        from catena.v1 import server_pb2, server_pb2_grpc
        stub = server_pb2_grpc.ServerServiceStub(self.channel)
        self.assertEqual(stub.Ping(server_pb2.PingRequest(payload=b"abc"), timeout=5).payload, b"abc")
        with self.assertRaises(self.grpc.RpcError) as raised:
            stub.Ping(server_pb2.PingRequest(delay_ms=-1), timeout=5)
        self.assertEqual(raised.exception.code(), self.grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("delay_ms", raised.exception.details())

    def test_server_reflection_lists_catena_services(self):
        # ServerReflectionRequest{list_services: ""} hand-encoded (field 7, length 0): no reflection stubs needed.
        call = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda raw: raw, response_deserializer=lambda raw: raw)
        responses = list(call(iter([b"\x3a\x00"]), timeout=5))
        self.assertEqual(len(responses), 1)
        for service in [b"catena.v1.ServerService", b"catena.v1.RetrievalService", b"grpc.health.v1.Health"]:
            self.assertIn(service, responses[0])

    def test_sigterm_drains_inflight_call_and_exits_zero(self):
        import health_pb2
        from catena.v1 import server_pb2, server_pb2_grpc
        watch = self.health_stub().Watch(health_pb2.HealthCheckRequest(service="catena.v1.MemoryService"),
                                         timeout=20)
        self.assertEqual(next(watch).status, health_pb2.HealthCheckResponse.SERVING)
        stub = server_pb2_grpc.ServerServiceStub(self.channel)
        future = stub.Ping.future(server_pb2.PingRequest(payload=b"drain", delay_ms=1500), timeout=20)
        time.sleep(0.3)
        self.process.send_signal(signal.SIGTERM)
        statuses = [update.status for update in watch_until_not_serving(watch)]
        self.assertIn(health_pb2.HealthCheckResponse.NOT_SERVING, statuses)
        self.assertEqual(future.result().payload, b"drain")
        self.assertEqual(self.process.wait(timeout=20), 0)


def watch_until_not_serving(watch):
    import health_pb2
    try:
        for update in watch:
            yield update
            if update.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                return
    except Exception:  # the stream ends when the server goes away
        return


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--catenad", required=True)
    parser.add_argument("--stubs", required=True)
    ARGS, rest = parser.parse_known_args()
    sys.path.insert(0, ARGS.stubs)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
