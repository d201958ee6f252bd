"""Reference side of template_bench: renders the same chat template and conversation with python jinja2
(Debian's python3-jinja2, the reference implementation) and prints renders per second as one JSON number.

Usage: /usr/bin/python3 template_bench_jinja2.py CASE.json SECONDS
CASE.json: {"template": "...", "context": {...}}
"""
import json
import sys
import time

import jinja2


def main():
    case = json.load(open(sys.argv[1]))
    seconds = float(sys.argv[2])
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(case["template"])
    output = template.render(**case["context"])
    renders = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        template.render(**case["context"])
        renders += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"renders_per_second": renders / elapsed, "output_bytes": len(output.encode())}))


if __name__ == "__main__":
    main()
