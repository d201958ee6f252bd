"""client.pipelines: PipelineService (validate, deploy, list, get, delete, run, streamed run, resume, traces)."""
from __future__ import annotations

import dataclasses
import os
import pathlib

from catena import convert
from catena.transport import Service, paged, rpc
from catena.v1 import common_pb2, pipeline_pb2, pipeline_pb2_grpc


@dataclasses.dataclass
class RunResult:
    """Outcome of pipelines.run: outputs as a dict; state "completed" or "interrupted" (then `interrupt` holds
    {"node", "reason", "payload"} and the run continues with pipelines.resume(run_id, approved=...))."""
    run_id: str
    state: str
    outputs: dict
    usage: common_pb2.Usage
    interrupt: dict | None
    raw: pipeline_pb2.RunResponse


def _interrupt_dict(interrupt: pipeline_pb2.Interrupt) -> dict:
    return {"node": interrupt.node, "reason": interrupt.reason, "payload": convert.struct_to_dict(interrupt.payload)}


@dataclasses.dataclass
class RunEvent:
    """One streamed run event. `type` is the event kind ("run_started", "node_started", "node_finished", "token",
    "retrieved", "tool_call", "tool_result", "interrupt", "final", "error", "node_skipped"); `message` the typed
    payload message; `raw` the catena.v1.RunEvent."""
    type: str
    run_id: str
    seq: int
    message: object
    raw: pipeline_pb2.RunEvent

    @property
    def node(self) -> str:
        """Node the event belongs to ("" for run-level events)."""
        return getattr(self.message, "node", "")

    @property
    def text(self) -> str:
        """The text delta of a token event ("" otherwise)."""
        return self.message.text_delta if self.type == "token" else ""

    @property
    def data(self) -> dict:
        """Struct payload as a dict: outputs of final/node_finished, payload of interrupt, inputs of run_started."""
        for field in ("outputs", "output", "payload", "inputs"):
            if self.message.DESCRIPTOR.fields_by_name.get(field) is not None:
                return convert.struct_to_dict(getattr(self.message, field))
        return {}

    @staticmethod
    def wrap(event: pipeline_pb2.RunEvent) -> "RunEvent":
        kind = event.WhichOneof("event") or ""
        message = getattr(event, kind) if kind else None
        return RunEvent(type=kind, run_id=event.run_id, seq=event.seq, message=message, raw=event)


def _source_text(source) -> str:
    """Pipeline text from a str, or the content of a pathlib.Path / os.PathLike."""
    if isinstance(source, os.PathLike):
        return pathlib.Path(source).read_text()
    return source


class PipelinesClient(Service):
    _stub_class = pipeline_pb2_grpc.PipelineServiceStub

    @rpc("catena.v1.PipelineService/ValidatePipeline")
    def validate(self, source, *, file_name: str = "", timeout=None) -> pipeline_pb2.ValidatePipelineResponse:
        """Checks a pipeline file (text or Path) without storing it: `valid` and every problem with line/column."""
        if isinstance(source, os.PathLike) and not file_name:
            file_name = pathlib.Path(source).name
        request = pipeline_pb2.ValidatePipelineRequest(source=_source_text(source), file_name=file_name)
        return self._unary("ValidatePipeline", request, idempotent=True, timeout=timeout)

    @rpc("catena.v1.PipelineService/PutPipeline")
    def deploy(self, source, *, file_name: str = "", timeout=None) -> pipeline_pb2.Pipeline:
        """Stores a pipeline (text or Path); versions are content hashes, so deploying twice is idempotent."""
        if isinstance(source, os.PathLike) and not file_name:
            file_name = pathlib.Path(source).name
        request = pipeline_pb2.PutPipelineRequest(source=_source_text(source), file_name=file_name)
        return self._unary("PutPipeline", request, idempotent=True, timeout=timeout)

    @rpc("catena.v1.PipelineService/ListPipelines")
    def list(self, *, page_size: int = 0, timeout=None) -> list:
        """Latest version of each pipeline of the tenant, without source (all pages)."""
        def fetch(**page):
            request = pipeline_pb2.ListPipelinesRequest(page=common_pb2.PageRequest(**page))
            return self._unary("ListPipelines", request, idempotent=True, timeout=timeout)
        return list(paged(fetch, "pipelines", page_size))

    @rpc("catena.v1.PipelineService/GetPipeline")
    def get(self, name: str, *, version: str = "", timeout=None) -> pipeline_pb2.Pipeline:
        """A stored pipeline with its source; version "" = latest."""
        request = pipeline_pb2.GetPipelineRequest(name=name, version=version)
        return self._unary("GetPipeline", request, idempotent=True, timeout=timeout)

    @rpc("catena.v1.PipelineService/DeletePipeline")
    def delete(self, name: str, *, timeout=None) -> None:
        self._unary("DeletePipeline", pipeline_pb2.DeletePipelineRequest(name=name), idempotent=False,
                    timeout=timeout)

    @staticmethod
    def _run_request(name, inputs, source, version, run_id, user_id) -> pipeline_pb2.RunRequest:
        if (name is None) == (source is None):
            raise ValueError("pipelines: give exactly one of a pipeline name and source=")
        return pipeline_pb2.RunRequest(pipeline=name or "", source=_source_text(source) if source else "",
                                       version=version, inputs=convert.dict_to_struct(inputs), run_id=run_id,
                                       user_id=user_id)

    @rpc("catena.v1.PipelineService/Run")
    def run(self, name: str | None = None, inputs: dict | None = None, *, source=None, version: str = "",
            run_id: str = "", user_id: str = "", timeout=None) -> RunResult:
        """Runs a stored pipeline (or an inline one with source=) to completion or to an interrupt. Retried on
        UNAVAILABLE only when run_id is given (the server deduplicates runs by id)."""
        request = self._run_request(name, inputs, source, version, run_id, user_id)
        response = self._unary("Run", request, idempotent=bool(run_id), timeout=timeout)
        interrupt = _interrupt_dict(response.interrupt) if response.HasField("interrupt") else None
        return RunResult(run_id=response.run_id, state=response.state, outputs=convert.struct_to_dict(response.outputs),
                         usage=response.usage, interrupt=interrupt, raw=response)

    @rpc("catena.v1.PipelineService/RunStream")
    def stream(self, name: str | None = None, inputs: dict | None = None, *, source=None, version: str = "",
               run_id: str = "", user_id: str = "", timeout=None):
        """Runs a pipeline and yields RunEvents as they happen; the last is "final", "interrupt" or "error"."""
        request = self._run_request(name, inputs, source, version, run_id, user_id)
        for event in self._stream("RunStream", request, idempotent=False, timeout=timeout):
            yield RunEvent.wrap(event)

    @rpc("catena.v1.PipelineService/Resume")
    def resume(self, run_id: str, *, approved: bool, payload: dict | None = None, timeout=None):
        """Continues a run waiting at an interrupt and yields its further RunEvents."""
        request = pipeline_pb2.ResumeRequest(run_id=run_id, approved=approved,
                                             payload=convert.dict_to_struct(payload))
        for event in self._stream("Resume", request, idempotent=False, timeout=timeout):
            yield RunEvent.wrap(event)

    @rpc("catena.v1.PipelineService/GetRun")
    def get_run(self, run_id: str, *, timeout=None) -> pipeline_pb2.RunTrace:
        """The stored trace of a run: state, inputs, outputs, usage, events, error."""
        return self._unary("GetRun", pipeline_pb2.GetRunRequest(run_id=run_id), idempotent=True, timeout=timeout)

    trace = get_run
