"""client.memory and client.pipelines against a real catenad with the deterministic test chat models."""
import pathlib

import pytest

import catena

QA = """apiVersion: catena/v1
kind: Pipeline
metadata: {name: qa, description: "answers with the test model"}
inputs:
  question: {type: string, required: true}
nodes:
  answer:
    type: llm.chat
    with: {model: test, prompt: "{{ inputs.question }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
"""

TRANSFER = """apiVersion: catena/v1
kind: Pipeline
metadata: {name: transfer}
inputs:
  amount: {type: int, required: true}
nodes:
  route:
    type: router
    with:
      routes:
        - {when: "{{ inputs.amount > 100 }}", to: approve}
        - {to: auto}
  approve:
    type: handoff.human
    with: {reason: "approve transfer of {{ inputs.amount }} EUR", payload: {amount: "{{ inputs.amount }}"}}
  auto:
    type: transform
    with: {status: auto-approved}
  decide:
    type: transform
    with: {status: "{{ 'approved' if nodes.approve.approved else 'rejected' }}"}
outputs:
  status: "{{ nodes.decide.status if nodes.decide is defined else nodes.auto.status }}"
"""


def test_sessions_messages_and_context(client):
    session = client.memory.create_session("alice", id="s-1", metadata={"channel": "web", "n": 2})
    assert session.id == "s-1" and catena.struct_to_dict(session.metadata) == {"channel": "web", "n": 2}
    seqs = client.memory.append("s-1", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                                        {"role": "user", "content": "card lost"}], idempotency_key="k1")
    assert seqs == [1, 2, 3]
    assert client.memory.append("s-1", [{"role": "user", "content": "hi"}] * 3, idempotency_key="k1") == [1, 2, 3]
    assert client.memory.get_session("s-1").message_count == 3
    messages = client.memory.list_messages("s-1", page_size=2)
    assert [m.message.content for m in messages] == ["hi", "hello", "card lost"]
    assert [m.message.content for m in client.memory.list_messages("s-1", reverse=True, limit=1)] == ["card lost"]
    context = client.memory.get_context("s-1", strategy="window", last_n=2)
    assert [m.content for m in context.messages] == ["hello", "card lost"]
    client.memory.create_session("bob", id="s-2")
    assert [s.id for s in client.memory.list_sessions("alice")] == ["s-1"]
    assert {s.id for s in client.memory.list_sessions()} == {"s-1", "s-2"}
    client.memory.delete_session("s-2")
    with pytest.raises(catena.NotFound):
        client.memory.get_session("s-2")


def test_facts_checkpoints_and_erasure(client):
    client.memory.put_facts("alice", {"city": "Oslo", "plan": "gold"})
    assert client.memory.get_facts("alice") == {"city": "Oslo", "plan": "gold"}
    client.memory.put_checkpoint("run-1", 0, b"state-0", user_id="alice")
    client.memory.put_checkpoint("run-1", 1, b"state-1", user_id="alice", parent_step=0)
    assert client.memory.get_checkpoint("run-1").state == b"state-1"
    assert client.memory.get_checkpoint("run-1", 0).state == b"state-0"
    assert [c.step for c in client.memory.list_checkpoints("run-1")] == [0, 1]
    client.memory.create_session("alice", id="s-9")
    client.memory.append("s-9", "hello")
    erased = client.memory.erase_user("alice")
    assert erased.sessions_erased == 1 and erased.messages_erased == 1
    assert erased.facts_erased == 2 and erased.checkpoints_erased == 2
    assert client.memory.get_facts("alice") == {}
    with pytest.raises(catena.NotFound):
        client.memory.get_checkpoint("run-1")


def test_validate_reports_problems_with_positions(client):
    report = client.pipelines.validate(QA.replace("type: llm.chat", "type: llm.chta"), file_name="qa.yaml")
    assert not report.valid
    problem = report.problems[0]
    assert (problem.file, problem.line, problem.node) == ("qa.yaml", 8, "answer")
    assert client.pipelines.validate(QA).valid


def test_deploy_list_get_run_and_delete(client, tmp_path):
    path = tmp_path / "qa.yaml"
    path.write_text(QA)
    deployed = client.pipelines.deploy(pathlib.Path(path))
    assert deployed.name == "qa" and len(deployed.version) == 64
    assert client.pipelines.deploy(QA).version == deployed.version  # content-addressed
    assert [p.name for p in client.pipelines.list()] == ["qa"]
    assert client.pipelines.get("qa").source == QA
    assert [i.name for i in client.pipelines.get("qa").inputs] == ["question"]
    result = client.pipelines.run("qa", {"question": "where is my card"}, run_id="run-qa-1", user_id="u1")
    assert result.state == "completed" and result.run_id == "run-qa-1"
    assert result.outputs == {"answer": "echo: where is my card"}
    trace = client.pipelines.get_run("run-qa-1")
    assert trace.state == "completed" and trace.pipeline == "qa" and trace.user_id == "u1"
    assert catena.struct_to_dict(trace.outputs) == result.outputs
    assert client.pipelines.trace("run-qa-1").events[-1].WhichOneof("event") == "final"
    with pytest.raises(catena.InvalidArgument):
        client.pipelines.run("qa", {})
    client.pipelines.delete("qa")
    with pytest.raises(catena.NotFound):
        client.pipelines.run("qa", {"question": "x"})


def test_stream_yields_events_in_order_with_tokens_and_final_outputs(client):
    events = list(client.pipelines.stream(source=QA, inputs={"question": "stream me"}))
    types = [e.type for e in events]
    assert types[0] == "run_started" and types[-1] == "final"
    assert types.index("node_started") < types.index("node_finished")
    assert "".join(e.text for e in events) == "echo: stream me"
    assert events[-1].data == {"answer": "echo: stream me"}
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].data == {"question": "stream me"}


def test_an_interrupted_run_resumes_with_approval(client):
    client.pipelines.deploy(TRANSFER)
    assert client.pipelines.run("transfer", {"amount": 50}).outputs == {"status": "auto-approved"}
    waiting = client.pipelines.run("transfer", {"amount": 500}, run_id="t-500")
    assert waiting.state == "interrupted"
    assert waiting.interrupt == {"node": "approve", "reason": "approve transfer of 500 EUR",
                                 "payload": {"amount": 500}}
    assert client.pipelines.get_run("t-500").state == "interrupted"
    events = list(client.pipelines.resume("t-500", approved=True))
    assert events[-1].type == "final" and events[-1].data == {"status": "approved"}
    assert client.pipelines.get_run("t-500").state == "completed"
    with pytest.raises(catena.CatenaError) as raised:
        list(client.pipelines.resume("t-500", approved=False))
    assert isinstance(raised.value, (catena.FailedPrecondition, catena.NotFound))
