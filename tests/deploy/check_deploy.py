#!/usr/bin/python3
"""ctest entry point for deploy/: renders every kustomize overlay offline with `kubectl kustomize`, checks the
output structurally (manifest_checks, topology_checks), validates each pod's catenad configuration with
catenad's own --print-config (config_checks), starts the all-in-one pod's catenad to check that it loads every
mounted pipeline file (pipeline_load_check), and checks deploy/Dockerfile (dockerfile_checks).

Usage: check_deploy.py --source-dir DIR --catenad PATH [--kubectl PATH]. Exit 0 when everything passes, 1 with
one line per problem otherwise. Needs kubectl (fails with a clear message without it) and PyYAML.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

import config_checks
import dockerfile_checks
import manifest_checks
import pipeline_load_check
import topology_checks

OVERLAYS = ("single-node", "distributed")
PIPELINE_COPIES = {"deploy/k8s/base/pipelines/banking-assistant.yaml": "examples/pipelines/banking-assistant.yaml"}
COPY_HEADER_LINES = 2  # the "Copy of examples/..." comment atop each copy


def catalog(source_dir):
    """{short name: full gRPC service name} from server/service_catalog.cc, catenad's list of services."""
    with open(os.path.join(source_dir, "server/service_catalog.cc")) as f:
        entries = re.findall(r'\{"(\w+)", "(catena\.v1\.\w+)"', f.read())
    if not entries:
        sys.exit("check_deploy: no services found in server/service_catalog.cc; update catalog() in this test")
    return dict(entries)


def metric_names(source_dir):
    """Metric names catenad registers (inference engine gauges and gRPC metrics)."""
    names = set()
    for path in ("inference/engine.cc", "server/metrics_interceptor.cc"):
        with open(os.path.join(source_dir, path)) as f:
            names.update(re.findall(r'"(catena_[a-z_]+)"', f.read()))
    return names


def find_kubectl(explicit):
    kubectl = explicit or shutil.which("kubectl")
    if not kubectl or not os.access(kubectl, os.X_OK):
        sys.exit("check_deploy: FAIL: kubectl not found (looked for %s). The deploy test renders deploy/k8s with "
                 "`kubectl kustomize`; install kubectl (any version with kustomize v5, e.g. 1.27+) or pass --kubectl."
                 % (explicit or "kubectl on PATH"))
    return kubectl


def render(kubectl, overlay_dir):
    result = subprocess.run([kubectl, "kustomize", overlay_dir], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        return None, "kubectl kustomize %s failed: %s" % (overlay_dir, result.stderr.strip())
    return [d for d in yaml.safe_load_all(result.stdout) if d], None


def check_overlay(name, docs, context, with_config=True):
    """Problems (prefixed with the overlay) and notes; with_config=False skips running catenad."""
    problems = manifest_checks.check_all(docs, context["services"], context["metrics"], context["uid"],
                                         context["gid"])
    if name == "single-node":
        problems += topology_checks.check_single_node(docs)
    else:
        problems += topology_checks.check_distributed(docs, context["services"])
    notes = []
    if not with_config:
        return ["%s: %s" % (name, p) for p in problems], notes
    with tempfile.TemporaryDirectory(prefix="catena-deploy-") as workdir:
        for workload in manifest_checks.by_kind(docs, *manifest_checks.WORKLOAD_KINDS):
            for container in manifest_checks.pod_spec(workload).get("containers") or []:
                scratch = tempfile.mkdtemp(dir=workdir)
                effective, raw, found, note = config_checks.effective_config(context["catenad"], docs, workload,
                                                                             container, scratch)
                problems += found
                notes += note
                if effective is not None:
                    problems += config_checks.check_effective(docs, workload, container, effective)
                if effective is not None and topology_checks.services_run(workload) == ["all"]:
                    problems += pipeline_load_check.check_pipelines_load(
                        context["catenad"], docs, workload, container, effective, tempfile.mkdtemp(dir=workdir))
                if name == "distributed" and topology_checks.services_run(workload) == ["pipeline"]:
                    needed = [s for s in context["services"] if s != "pipeline"]
                    problems += topology_checks.check_service_addresses(
                        docs, raw, needed, manifest_checks.name_of(workload))
    return ["%s: %s" % (name, p) for p in problems], notes


def check_pipeline_copies(source_dir):
    problems = []
    for copy, original in PIPELINE_COPIES.items():
        with open(os.path.join(source_dir, copy)) as f:
            copied = f.read().splitlines(True)[COPY_HEADER_LINES:]
        with open(os.path.join(source_dir, original)) as f:
            if copied != f.read().splitlines(True):
                problems.append("%s differs from %s; copy it again (keep the header)" % (copy, original))
    return problems


def check_image(source_dir, catenad):
    deploy = os.path.join(source_dir, "deploy")
    with open(os.path.join(deploy, "Dockerfile")) as f:
        dockerfile = f.read()
    ignore_path = os.path.join(source_dir, ".dockerignore")
    ignore = open(ignore_path).read() if os.path.exists(ignore_path) else None
    problems, uid, gid, packages = dockerfile_checks.check_dockerfile(dockerfile, ignore)
    binaries = [b for b in (catenad, os.path.join(os.path.dirname(catenad), "catena")) if os.path.exists(b)]
    found, notes = dockerfile_checks.check_runtime_libraries(binaries, packages)
    return problems + found, notes, uid, gid


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--catenad", required=True, help="catenad binary used to validate the configuration")
    parser.add_argument("--kubectl")
    args = parser.parse_args()
    kubectl = find_kubectl(args.kubectl)
    if not os.access(args.catenad, os.X_OK):
        sys.exit("check_deploy: FAIL: catenad not found at %s (build it first: ninja catenad)" % args.catenad)
    problems, notes, uid, gid = check_image(args.source_dir, args.catenad)
    problems += check_pipeline_copies(args.source_dir)
    context = {"services": catalog(args.source_dir), "metrics": metric_names(args.source_dir), "uid": uid,
               "gid": gid, "catenad": os.path.abspath(args.catenad)}
    for overlay in OVERLAYS:
        docs, error = render(kubectl, os.path.join(args.source_dir, "deploy/k8s/overlays", overlay))
        if error:
            problems.append(error)
            continue
        found, note = check_overlay(overlay, docs, context)
        problems += found
        notes += note
        kinds = sorted({d["kind"] for d in docs})
        print("check_deploy: %s renders %d objects (%s)" % (overlay, len(docs), ", ".join(kinds)))
    for note in notes:
        print("check_deploy: NOTE: %s" % note)
    for problem in problems:
        print("check_deploy: FAIL: %s" % problem)
    print("check_deploy: %s (%d problems)" % ("FAILED" if problems else "passed", len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
