"""client.memory: MemoryService (sessions, messages, prompt context, per-user facts, run checkpoints, erasure)."""
from __future__ import annotations

from catena import convert
from catena.transport import Service, paged, rpc
from catena.v1 import common_pb2, memory_pb2, memory_pb2_grpc


class MemoryClient(Service):
    _stub_class = memory_pb2_grpc.MemoryServiceStub

    @rpc("catena.v1.MemoryService/CreateSession")
    def create_session(self, user_id: str, *, id: str = "", metadata=None, timeout=None) -> memory_pb2.Session:
        """Creates a session for user_id (id generated when empty); metadata is a dict."""
        request = memory_pb2.CreateSessionRequest(id=id, user_id=user_id, metadata=convert.dict_to_struct(metadata))
        return self._unary("CreateSession", request, idempotent=False, timeout=timeout)

    @rpc("catena.v1.MemoryService/GetSession")
    def get_session(self, id: str, *, timeout=None) -> memory_pb2.Session:
        return self._unary("GetSession", memory_pb2.GetSessionRequest(id=id), idempotent=True, timeout=timeout)

    @rpc("catena.v1.MemoryService/ListSessions")
    def list_sessions(self, user_id: str = "", *, page_size: int = 0, timeout=None) -> list:
        """Every session of the tenant, or of user_id when given (all pages)."""
        def fetch(**page):
            request = memory_pb2.ListSessionsRequest(user_id=user_id, page=common_pb2.PageRequest(**page))
            return self._unary("ListSessions", request, idempotent=True, timeout=timeout)
        return list(paged(fetch, "sessions", page_size))

    @rpc("catena.v1.MemoryService/DeleteSession")
    def delete_session(self, id: str, *, timeout=None) -> None:
        self._unary("DeleteSession", memory_pb2.DeleteSessionRequest(id=id), idempotent=False, timeout=timeout)

    @rpc("catena.v1.MemoryService/AppendMessages")
    def append(self, session_id: str, messages, *, idempotency_key: str = "", timeout=None) -> list:
        """Appends chat messages (dicts or ChatMessages) atomically; returns their sequence numbers. Retried on
        UNAVAILABLE only with an idempotency_key (the server applies a key once)."""
        request = memory_pb2.AppendMessagesRequest(session_id=session_id, messages=convert.chat_messages(messages),
                                                   idempotency_key=idempotency_key)
        return list(self._unary("AppendMessages", request, idempotent=bool(idempotency_key), timeout=timeout).seqs)

    @rpc("catena.v1.MemoryService/ListMessages")
    def list_messages(self, session_id: str, *, reverse: bool = False, page_size: int = 0, limit: int | None = None,
                      timeout=None) -> list:
        """StoredMessages of a session (oldest first, or newest first with reverse), at most `limit`."""
        def fetch(**page):
            request = memory_pb2.ListMessagesRequest(session_id=session_id, reverse=reverse,
                                                     page=common_pb2.PageRequest(**page))
            return self._unary("ListMessages", request, idempotent=True, timeout=timeout)
        return list(paged(fetch, "messages", page_size, limit))

    @rpc("catena.v1.MemoryService/GetContext")
    def get_context(self, session_id: str, *, strategy: str = "window", last_n: int = 0, max_tokens: int = 0,
                    model: str = "", query: str = "", k: int = 0, timeout=None) -> memory_pb2.GetContextResponse:
        """Messages for the next prompt; strategy "window" (last_n), "token_budget"/"summary" (max_tokens) or
        "semantic" (query, k)."""
        request = memory_pb2.GetContextRequest(
            session_id=session_id, last_n=last_n, max_tokens=max_tokens, model=model, query=query, k=k,
            strategy=convert.enum_value(memory_pb2.ContextStrategy, "CONTEXT_STRATEGY", strategy, "strategy"))
        return self._unary("GetContext", request, idempotent=True, timeout=timeout)

    @rpc("catena.v1.MemoryService/PutFacts")
    def put_facts(self, user_id: str, facts: dict, *, timeout=None) -> None:
        """Stores string facts about a user (key -> value); setting the same facts twice is harmless."""
        request = memory_pb2.PutFactsRequest(user_id=user_id, facts={k: str(v) for k, v in facts.items()})
        self._unary("PutFacts", request, idempotent=True, timeout=timeout)

    @rpc("catena.v1.MemoryService/GetFacts")
    def get_facts(self, user_id: str, *, timeout=None) -> dict:
        """The user's facts as a dict."""
        request = memory_pb2.GetFactsRequest(user_id=user_id)
        return dict(self._unary("GetFacts", request, idempotent=True, timeout=timeout).facts)

    @rpc("catena.v1.MemoryService/PutCheckpoint")
    def put_checkpoint(self, run_id: str, step: int, state: bytes, *, user_id: str, parent_step: int = -1,
                       timeout=None) -> memory_pb2.Checkpoint:
        """Stores engine state of a run step (opaque bytes)."""
        checkpoint = memory_pb2.Checkpoint(run_id=run_id, step=step, parent_step=parent_step, state=state,
                                           user_id=user_id)
        request = memory_pb2.PutCheckpointRequest(checkpoint=checkpoint)
        return self._unary("PutCheckpoint", request, idempotent=False, timeout=timeout)

    @rpc("catena.v1.MemoryService/GetCheckpoint")
    def get_checkpoint(self, run_id: str, step: int = -1, *, timeout=None) -> memory_pb2.Checkpoint:
        """A checkpoint of a run; step -1 = the latest."""
        request = memory_pb2.GetCheckpointRequest(run_id=run_id, step=step)
        return self._unary("GetCheckpoint", request, idempotent=True, timeout=timeout)

    @rpc("catena.v1.MemoryService/ListCheckpoints")
    def list_checkpoints(self, run_id: str, *, page_size: int = 0, timeout=None) -> list:
        """Checkpoints of a run without their state bytes (all pages)."""
        def fetch(**page):
            request = memory_pb2.ListCheckpointsRequest(run_id=run_id, page=common_pb2.PageRequest(**page))
            return self._unary("ListCheckpoints", request, idempotent=True, timeout=timeout)
        return list(paged(fetch, "checkpoints", page_size))

    @rpc("catena.v1.MemoryService/EraseUser")
    def erase_user(self, user_id: str, *, timeout=None) -> memory_pb2.EraseUserResponse:
        """Erases everything stored for the user (sessions, messages, summaries, facts, checkpoints); counts."""
        request = memory_pb2.EraseUserRequest(user_id=user_id)
        return self._unary("EraseUser", request, idempotent=True, timeout=timeout)
