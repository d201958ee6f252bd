"""Conversions between plain Python values and catena.v1 messages: dicts <-> google.protobuf.Struct, chat
messages, documents, sampling parameters and enum names. Used by every service wrapper."""
from __future__ import annotations

import json
from collections.abc import Mapping

from google.protobuf import json_format, struct_pb2

from catena.v1 import common_pb2, inference_pb2


def dict_to_struct(value: Mapping | struct_pb2.Struct | None) -> struct_pb2.Struct:
    """A Struct holding `value` (a JSON-like dict); a Struct is passed through. TypeError for other types."""
    if isinstance(value, struct_pb2.Struct):
        return value
    struct = struct_pb2.Struct()
    if value is None:
        return struct
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a dict for a google.protobuf.Struct, got {type(value).__name__}")
    struct.update(json.loads(json.dumps(value)))
    return struct


def struct_to_dict(struct: struct_pb2.Struct | None) -> dict:
    """The Struct as a plain dict (numbers come back as float unless integral, which become int)."""
    if struct is None:
        return {}
    return _ints(json_format.MessageToDict(struct))


def _ints(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def enum_value(enum_type, prefix: str, value, field: str) -> int:
    """Enum number for `value`: an int, or a name like "hybrid" / "HYBRID" / "SEARCH_MODE_HYBRID"."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    name = str(value).upper().replace("-", "_")
    for candidate in (name, f"{prefix}_{name}"):
        if candidate in enum_type.keys():
            return enum_type.Value(candidate)
    names = [n[len(prefix) + 1:].lower() for n in enum_type.keys() if not n.endswith("UNSPECIFIED")]
    raise ValueError(f"{field}: unknown value {value!r}; expected one of {', '.join(names)}")


def chat_message(value) -> common_pb2.ChatMessage:
    """A ChatMessage from a dict {"role", "content", "name", "tool_calls", "tool_call_id"} or a ChatMessage."""
    if isinstance(value, common_pb2.ChatMessage):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"chat message must be a dict or ChatMessage, got {type(value).__name__}")
    message = common_pb2.ChatMessage(
        role=enum_value(common_pb2.Role, "ROLE", value.get("role", "user"), "message.role"),
        content=value.get("content", ""), name=value.get("name", ""),
        tool_call_id=value.get("tool_call_id", ""))
    for call in value.get("tool_calls", ()):
        message.tool_calls.append(tool_call(call))
    return message


def chat_messages(values) -> list:
    """ChatMessages from a string (one user message) or a list of dicts/messages."""
    if isinstance(values, str):
        values = [{"role": "user", "content": values}]
    return [chat_message(v) for v in values]


def tool_call(value) -> common_pb2.ToolCall:
    """A ToolCall from a dict {"id", "name", "arguments" (dict or JSON text)} or a ToolCall."""
    if isinstance(value, common_pb2.ToolCall):
        return value
    arguments = value.get("arguments", value.get("arguments_json", "{}"))
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return common_pb2.ToolCall(id=value.get("id", ""), name=value.get("name", ""), arguments_json=arguments)


def tool_spec(value) -> common_pb2.ToolSpec:
    """A ToolSpec from a dict {"name", "description", "parameters" (JSON schema dict or text)}."""
    if isinstance(value, common_pb2.ToolSpec):
        return value
    schema = value.get("parameters", value.get("parameters_json_schema", {"type": "object"}))
    if not isinstance(schema, str):
        schema = json.dumps(schema)
    return common_pb2.ToolSpec(name=value["name"], description=value.get("description", ""),
                               parameters_json_schema=schema)


_SAMPLING_FIELDS = {f.name for f in inference_pb2.SamplingParams.DESCRIPTOR.fields}


def sampling(params: dict) -> inference_pb2.SamplingParams:
    """SamplingParams from keyword values (temperature, top_k, top_p, max_tokens, stop, seed, ...)."""
    unknown = set(params) - _SAMPLING_FIELDS
    if unknown:
        raise TypeError(f"unknown sampling parameter(s): {', '.join(sorted(unknown))}")
    values = {k: v for k, v in params.items() if v is not None}
    seed = values.pop("seed", None)
    out = inference_pb2.SamplingParams(**values)
    if seed is not None:
        out.seed.value = seed
    return out


def response_format(value) -> inference_pb2.ResponseFormat | None:
    """ResponseFormat from "text", "json_object", {"json_schema": dict-or-text} or a ResponseFormat."""
    if value is None or isinstance(value, inference_pb2.ResponseFormat):
        return value
    kinds = inference_pb2.ResponseFormat.Kind
    if isinstance(value, str):
        return inference_pb2.ResponseFormat(kind=enum_value(kinds, "KIND", value, "response_format"))
    schema = value.get("json_schema")
    if schema is None:
        raise ValueError("response_format: a dict must have a 'json_schema' key")
    if not isinstance(schema, str):
        schema = json.dumps(schema)
    return inference_pb2.ResponseFormat(kind=kinds.Value("KIND_JSON_SCHEMA"), json_schema=schema)


def document(value) -> common_pb2.Document:
    """A Document from a dict {"id", "text", "metadata" (dict), "source", "embedding", "position"} or a Document."""
    if isinstance(value, common_pb2.Document):
        return value
    if isinstance(value, str):
        return common_pb2.Document(text=value)
    unknown = set(value) - {"id", "text", "metadata", "source", "embedding", "position"}
    if unknown:
        raise TypeError(f"unknown document field(s): {', '.join(sorted(unknown))}")
    doc = common_pb2.Document(id=value.get("id", ""), text=value.get("text", ""), source=value.get("source", ""),
                              position=value.get("position", ""), embedding=value.get("embedding", ()))
    if value.get("metadata"):
        doc.metadata.CopyFrom(dict_to_struct(value["metadata"]))
    return doc
