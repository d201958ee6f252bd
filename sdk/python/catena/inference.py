"""client.inference: InferenceService (streamed generate and chat, tokenize, and client.inference.models for
list/load/unload)."""
from __future__ import annotations

from catena import convert
from catena.transport import Service, rpc
from catena.v1 import inference_pb2, inference_pb2_grpc


class _TokenStream:
    """Iterates the streamed responses (each has text_delta, logprobs, and on the last one finish_reason and
    usage) and accumulates them: after iteration `text`, `finish_reason` (e.g. "stop") and `usage` are set.
    collect() drains the stream and returns self. Closing the stream early cancels the call."""

    def __init__(self, responses):
        self._responses = responses
        self.text = ""
        self.finish_reason = ""
        self.usage = None
        self.done = False

    def __iter__(self):
        for response in self._responses:
            self._absorb(response)
            yield response
        self.done = True

    def _absorb(self, response):
        self.text += response.text_delta
        if response.finish_reason:
            self.finish_reason = inference_pb2.FinishReason.Name(response.finish_reason)[len("FINISH_REASON_"):]
            self.finish_reason = self.finish_reason.lower()
        if response.HasField("usage"):
            self.usage = response.usage

    def collect(self):
        for _ in self:
            pass
        return self

    def close(self):
        self._responses.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class GenerateStream(_TokenStream):
    """Stream of GenerateResponse; also accumulates `token_ids`."""

    def __init__(self, responses):
        super().__init__(responses)
        self.token_ids = []

    def _absorb(self, response):
        super()._absorb(response)
        self.token_ids.extend(response.token_ids)


class ChatStream(_TokenStream):
    """Stream of ChatResponse; also accumulates complete `tool_calls`."""

    def __init__(self, responses):
        super().__init__(responses)
        self.tool_calls = []

    def _absorb(self, response):
        super()._absorb(response)
        self.tool_calls.extend(response.tool_calls)


class ModelsClient(Service):
    """client.inference.models: the models a catenad knows."""

    _stub_class = inference_pb2_grpc.InferenceServiceStub

    @rpc("catena.v1.InferenceService/ListModels")
    def list(self, *, timeout=None) -> list:
        """ModelInfo of every configured model, loaded or not."""
        return list(self._unary("ListModels", inference_pb2.ListModelsRequest(), idempotent=True,
                                timeout=timeout).models)

    @rpc("catena.v1.InferenceService/LoadModel")
    def load(self, name: str, *, timeout=None) -> inference_pb2.ModelInfo:
        """Loads a configured model (idempotent on the server, so retried)."""
        return self._unary("LoadModel", inference_pb2.LoadModelRequest(name=name), idempotent=True, timeout=timeout)

    @rpc("catena.v1.InferenceService/UnloadModel")
    def unload(self, name: str, *, timeout=None) -> None:
        """Unloads a model once its in-flight requests finish."""
        self._unary("UnloadModel", inference_pb2.UnloadModelRequest(name=name), idempotent=False, timeout=timeout)


class InferenceClient(Service):
    _stub_class = inference_pb2_grpc.InferenceServiceStub

    def __init__(self, transport):
        super().__init__(transport)
        self.models = ModelsClient(transport)

    @rpc("catena.v1.InferenceService/Generate")
    def generate(self, model: str, prompt: str, *, response_format=None, timeout=None, **sampling) -> GenerateStream:
        """Completes a raw prompt; sampling keywords: temperature, top_k, top_p, max_tokens, stop, seed, ...
        response_format: "json_object" or {"json_schema": {...}}."""
        request = inference_pb2.GenerateRequest(model=model, prompt=prompt, sampling=convert.sampling(sampling))
        if response_format is not None:
            request.response_format.CopyFrom(convert.response_format(response_format))
        return GenerateStream(self._stream("Generate", request, idempotent=True, timeout=timeout))

    @rpc("catena.v1.InferenceService/Chat")
    def chat(self, model: str, messages, *, tools=None, tool_choice: str = "", response_format=None, timeout=None,
             **sampling) -> ChatStream:
        """Completes a conversation: messages is a string (one user turn) or a list of {"role", "content"} dicts;
        tools are {"name", "description", "parameters"} dicts. Iterate the result for deltas or call
        .collect() for the whole answer."""
        request = inference_pb2.ChatRequest(model=model, messages=convert.chat_messages(messages),
                                            sampling=convert.sampling(sampling), tool_choice=tool_choice,
                                            tools=[convert.tool_spec(t) for t in tools or ()])
        if response_format is not None:
            request.response_format.CopyFrom(convert.response_format(response_format))
        return ChatStream(self._stream("Chat", request, idempotent=True, timeout=timeout))

    @rpc("catena.v1.InferenceService/Tokenize")
    def tokenize(self, model: str, text: str, *, add_special_tokens: bool = False,
                 timeout=None) -> inference_pb2.TokenizeResponse:
        """token_ids and pieces of `text` under the model's tokenizer."""
        request = inference_pb2.TokenizeRequest(model=model, text=text, add_special_tokens=add_special_tokens)
        return self._unary("Tokenize", request, idempotent=True, timeout=timeout)
