#!/usr/bin/python3
"""Renders the chat-template cases of tests/inference/data/chat_cases.json the way Hugging Face transformers'
apply_chat_template does, and writes (or checks) tests/inference/data/chat_expected.json.

    /usr/bin/python3 tests/inference/chat_template_reference.py           # regenerate the goldens
    /usr/bin/python3 tests/inference/chat_template_reference.py --check   # fail if they are stale

The environment is transformers': ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the
loopcontrols extension, a raise_exception global, strftime_now, and a tojson filter that keeps key order and
UTF-8. Messages arrive in Catena's ChatMessage shape ({role, content, name, tool_calls: [{id, name, arguments
(JSON text)}], tool_call_id}) and are converted here, independently of the C++ code, into the OpenAI/HF shape
templates expect: tool_calls become {id, type: "function", function: {name, arguments: <parsed JSON>}} and empty
optional fields are left out. Every case also gets bos_token, eos_token, tools (None without tools),
add_generation_prompt and date_string ("%d %b %Y" of the case's clock). Times are formatted in UTC.
"""

import datetime
import json
import os
import pathlib
import sys

import jinja2
import jinja2.ext
import jinja2.sandbox

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "tests/inference/data"
ASSETS = pathlib.Path(os.environ.get("CATENA_ASSET_DIR") or pathlib.Path.home() / ".cache/catena/assets")


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def make_environment(now):
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                       extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: now.strftime(fmt)
    return env


def template_source(spec):
    if "asset" in spec:
        config = json.loads((ASSETS / spec["asset"]).read_text(encoding="utf-8"))
        return config["chat_template"]
    return (ROOT / spec["file"]).read_text(encoding="utf-8")


def hf_message(message):
    out = {"role": message["role"], "content": message.get("content", "")}
    if message.get("name"):
        out["name"] = message["name"]
    if message.get("tool_calls"):
        out["tool_calls"] = [{"id": call["id"], "type": "function",
                              "function": {"name": call["name"], "arguments": json.loads(call["arguments"])}}
                             for call in message["tool_calls"]]
    if message.get("tool_call_id"):
        out["tool_call_id"] = message["tool_call_id"]
    return out


def render_case(cases, case, now):
    spec = cases["templates"][case["template"]]
    context = {
        "messages": [hf_message(m) for m in cases["conversations"][case["conversation"]]],
        "tools": cases["tools"][case["tools"]] if "tools" in case else None,
        "add_generation_prompt": case.get("add_generation_prompt", True),
        "bos_token": spec["bos"],
        "eos_token": spec["eos"],
        "date_string": now.strftime("%d %b %Y"),
    }
    context.update(case.get("extra", {}))
    try:
        return {"output": make_environment(now).from_string(template_source(spec)).render(**context)}
    except jinja2.exceptions.TemplateError as exc:
        return {"error": str(exc)}


def main():
    cases = json.loads((DATA / "chat_cases.json").read_text(encoding="utf-8"))
    now = datetime.datetime.fromtimestamp(cases["now_unix_seconds"], tz=datetime.timezone.utc)
    results = {case["name"]: render_case(cases, case, now) for case in cases["cases"]}
    text = json.dumps(results, ensure_ascii=False, indent=1) + "\n"
    target = DATA / "chat_expected.json"
    if "--check" in sys.argv[1:]:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: rerun {sys.argv[0]} without --check")
            return 1
        print(f"{len(results)} chat template cases match jinja2 {jinja2.__version__}")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {len(results)} cases ({sum('error' in r for r in results.values())} errors) with jinja2 "
          f"{jinja2.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
