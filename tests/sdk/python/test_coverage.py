"""Every RPC of every service in proto/catena/v1 is reachable through the Catena wrapper: reflection over the
generated service descriptors, and a recording channel that proves each wrapper method calls the RPC it claims."""
import importlib
import inspect
import pkgutil

import grpc

import catena
import catena.v1


def service_methods() -> set:
    """Full names "catena.v1.Service/Method" of every RPC in the generated catena.v1 modules."""
    names = set()
    for module_info in pkgutil.iter_modules(catena.v1.__path__):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"catena.v1.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            names.update(f"{service.full_name}/{method.name}" for method in service.methods)
    return names


def wrapper_methods(client) -> dict:
    """rpc full name -> bound wrapper method, found by walking the client's service objects."""
    found = {}
    pending = [client]
    seen = set()
    while pending:
        obj = pending.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        for name in dir(obj):
            if name.startswith("_"):
                continue
            value = getattr(obj, name)
            rpc_name = getattr(value, "__catena_rpc__", None)
            if rpc_name:
                found.setdefault(rpc_name, value)
            elif type(value).__module__.startswith("catena.") and not inspect.isroutine(value) \
                    and hasattr(value, "_transport"):
                pending.append(value)
    return found


class RecordingChannel:
    """A grpc.Channel stand-in that answers every call with the default response and records the method paths."""

    def __init__(self):
        self.calls = []

    def _callable(self, path, deserializer, streaming):
        def call(request, timeout=None, metadata=None):
            self.calls.append((path, dict(metadata or ())))
            response = deserializer(b"")
            return _Stream([response]) if streaming else response
        return call

    def unary_unary(self, path, request_serializer=None, response_deserializer=None, **_):
        return self._callable(path, response_deserializer, False)

    def unary_stream(self, path, request_serializer=None, response_deserializer=None, **_):
        return self._callable(path, response_deserializer, True)

    def close(self):
        pass


class _Stream(list):
    def cancel(self):
        pass


ARGUMENTS = {
    "name": "x", "model": "m", "prompt": "p", "messages": "hi", "text": "t", "inputs": ["a"], "collection": "c",
    "ids": ["1"], "user_id": "u", "session_id": "s", "run_id": "r", "step": 1, "state": b"s", "facts": {"k": "v"},
    "source": "apiVersion: catena/v1", "id": "s",
}


def call_args(method, rpc_name):
    """Positional and keyword values for the method's required parameters."""
    kwargs = {}
    for param in inspect.signature(method).parameters.values():
        if param.default is not inspect.Parameter.empty or param.kind is param.VAR_KEYWORD:
            continue
        if param.name == "documents":
            kwargs[param.name] = [{"source": "a.txt", "content": "x"}] if "Ingest" in rpc_name else [{"id": "1"}]
        elif param.name == "dimension":
            kwargs[param.name] = 4
        elif param.name == "approved":
            kwargs[param.name] = True
        else:
            kwargs[param.name] = ARGUMENTS[param.name]
    if rpc_name.endswith(("/Run", "/RunStream")):
        kwargs["name"] = "qa"  # optional because source= may replace it
    return kwargs


def test_every_rpc_of_every_service_has_a_wrapper_method():
    expected = service_methods()
    assert len(expected) >= 40  # the six services of catena.v1
    client = catena.Catena("unused:1", channel=RecordingChannel())
    wrapped = wrapper_methods(client)
    assert sorted(expected - set(wrapped)) == []
    assert sorted(set(wrapped) - expected) == []


def test_each_wrapper_method_calls_the_rpc_it_is_marked_with_and_sends_the_headers():
    channel = RecordingChannel()
    client = catena.Catena("unused:1", tenant="acme", token="s3cret", channel=channel)
    for rpc_name, method in sorted(wrapper_methods(client).items()):
        channel.calls.clear()
        result = method(**call_args(method, rpc_name))
        if inspect.isgenerator(result) or hasattr(result, "collect"):
            list(result)
        assert [path for path, _ in channel.calls] == [f"/{rpc_name}"], rpc_name
        headers = channel.calls[0][1]
        assert headers["x-catena-tenant"] == "acme"
        assert headers["authorization"] == "Bearer s3cret"


def test_every_grpc_status_code_maps_to_a_typed_error():
    for code in grpc.StatusCode:
        if code is grpc.StatusCode.OK:
            continue
        error = catena.errors.error_for_code(code, "detail", "svc/M")
        assert isinstance(error, catena.CatenaError)
        assert error.code is code
        assert type(error).__name__.lower() == code.name.replace("_", "").lower()
        assert error.details == "detail"
