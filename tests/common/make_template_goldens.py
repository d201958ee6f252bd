#!/usr/bin/python3
"""Regenerates the golden outputs of the template conformance corpus with the reference jinja2.

Run with the system interpreter that has Debian's python3-jinja2:
    /usr/bin/python3 tests/common/make_template_goldens.py

For every <case>.jinja under tests/common/data/templates/ the context is <case>.json (an object, key
order kept) and the options are <case>.options.json (trim_blocks, lstrip_blocks, keep_trailing_newline,
strict_undefined, hf_tojson); the output goes to <case>.expected, or, when jinja2 raises, the error message goes to
<case>.error (the C++ test then expects Template::Parse or Render to fail). Chat templates under
tests/common/data/chat_templates/ render the way Hugging Face transformers does: trim_blocks,
lstrip_blocks, loopcontrols, raise_exception and transformers' tojson.
The environments enable jinja2.ext.loopcontrols and jinja2.ext.do because Catena supports both always.
"""

import json
import pathlib
import sys

import jinja2
import jinja2.ext

ROOT = pathlib.Path(__file__).resolve().parent / "data"


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def hf_tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def make_environment(options, chat):
    kwargs = {
        "trim_blocks": options.get("trim_blocks", chat),
        "lstrip_blocks": options.get("lstrip_blocks", chat),
        "keep_trailing_newline": options.get("keep_trailing_newline", False),
        "extensions": [jinja2.ext.loopcontrols, jinja2.ext.do],
    }
    if options.get("strict_undefined", False):
        kwargs["undefined"] = jinja2.StrictUndefined
    env = jinja2.Environment(**kwargs)
    env.globals["raise_exception"] = raise_exception
    if chat or options.get("hf_tojson", False):
        env.filters["tojson"] = hf_tojson
    return env


def read_json(path, default):
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def render_case(template_path, chat):
    stem = template_path.with_suffix("")
    options = read_json(stem.with_name(stem.name + ".options.json"), {})
    context = read_json(stem.with_suffix(".json"), {})
    source = template_path.read_bytes().decode("utf-8")
    expected = stem.with_suffix(".expected")
    error = stem.with_suffix(".error")
    try:
        output = make_environment(options, chat).from_string(source).render(**context)
    except Exception as exc:  # jinja2 errors and Python errors raised by templates alike
        error.write_text(f"{type(exc).__name__}: {exc}\n", encoding="utf-8")
        expected.unlink(missing_ok=True)
        return "error"
    expected.write_bytes(output.encode("utf-8"))
    error.unlink(missing_ok=True)
    return "ok"


def main():
    counts = {}
    for folder, chat in (("templates", False), ("chat_templates", True)):
        for template_path in sorted((ROOT / folder).glob("*.jinja")):
            result = render_case(template_path, chat)
            counts[result] = counts.get(result, 0) + 1
            print(f"{folder}/{template_path.name}: {result}")
    print(f"jinja2 {jinja2.__version__}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
