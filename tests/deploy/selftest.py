#!/usr/bin/python3
"""Proves the deploy checks can fail: renders the overlays, breaks one thing at a time (a missing probe, a
selector typo, a root user, a URL download in the Dockerfile, a wrong port in the catenad config, ...) and
asserts that check_deploy reports exactly that problem, and that the untouched inputs pass.

Usage: selftest.py --source-dir DIR --catenad PATH [--kubectl PATH]. Exit 0 when every mutation is caught.
"""

import argparse
import copy
import os
import sys

import check_deploy
import dockerfile_checks
from manifest_checks import find, pod_spec


def container(docs, kind, name):
    return pod_spec(find(docs, kind, name))["containers"][0]


def edit_config(docs, key, old, new):
    configmap = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("catenad-config"))
    assert old in configmap["data"][key], (key, old)
    configmap["data"][key] = configmap["data"][key].replace(old, new)


def edit_pipelines(docs, old, new):
    configmap = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(
        "catena-pipelines"))
    key = next(iter(configmap["data"]))
    assert old in configmap["data"][key], (key, old)
    configmap["data"][key] = configmap["data"][key].replace(old, new)


def set_path(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    if value is None:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


# (overlay, description, mutation, expected problem substring)
MANIFEST_MUTATIONS = [
    ("distributed", "retrieval without a readiness probe",
     lambda d: container(d, "StatefulSet", "catena-retrieval").pop("readinessProbe"), "no readinessProbe"),
    ("distributed", "memory Service selector typo",
     lambda d: set_path(find(d, "Service", "catena-memory"), ["spec", "selector", "app.kubernetes.io/component"],
                        "memroy"), "matches no Deployment/StatefulSet pods"),
    ("distributed", "writable root filesystem",
     lambda d: set_path(container(d, "Deployment", "catena-embedding"), ["securityContext",
                                                                         "readOnlyRootFilesystem"], False),
     "readOnlyRootFilesystem is not true"),
    ("distributed", "pod running as root",
     lambda d: set_path(pod_spec(find(d, "Deployment", "catena-pipeline")), ["securityContext", "runAsUser"], 0),
     "runAsUser is 0"),
    ("distributed", "retrieval without volumeClaimTemplates",
     lambda d: find(d, "StatefulSet", "catena-retrieval")["spec"].pop("volumeClaimTemplates"),
     "no volumeClaimTemplates"),
    ("distributed", "inference without a GPU limit",
     lambda d: container(d, "Deployment", "catena-inference")["resources"]["limits"].pop("nvidia.com/gpu"),
     "resources.limits has no nvidia.com/gpu"),
    ("distributed", "inference without the GPU toleration",
     lambda d: pod_spec(find(d, "Deployment", "catena-inference")).pop("tolerations"), "no toleration"),
    ("distributed", "a ConfigMap reference that does not exist",
     lambda d: set_path(pod_spec(find(d, "StatefulSet", "catena-memory"))["volumes"][0], ["configMap", "name"],
                        "catenad-config-missing"), "which the overlay does not define"),
    ("distributed", "HPA on a metric catenad does not export",
     lambda d: set_path(find(d, "HorizontalPodAutoscaler", "catena-inference")["spec"]["metrics"][0],
                        ["pods", "metric", "name"], "catena_queue_depth"), "is not one catenad exports"),
    ("distributed", "PDB selecting nothing",
     lambda d: set_path(find(d, "PodDisruptionBudget", "catena-gateway"),
                        ["spec", "selector", "matchLabels", "app.kubernetes.io/component"], "gatway"),
     "matches 0 workloads"),
    ("distributed", "readiness on another service",
     lambda d: set_path(container(d, "StatefulSet", "catena-retrieval"), ["readinessProbe", "grpc", "service"],
                        "catena.v1.MemoryService"), "readiness probes 'catena.v1.MemoryService'"),
    ("distributed", "two images",
     lambda d: set_path(container(d, "Deployment", "catena-gateway"), ["image"], "catena/catenad:0.0.9"),
     "different images"),
    ("distributed", "replicas fighting the HPA",
     lambda d: set_path(find(d, "Deployment", "catena-embedding"), ["spec", "replicas"], 3), "sets spec.replicas"),
    ("distributed", "memory as a Deployment",
     lambda d: set_path(find(d, "StatefulSet", "catena-memory"), ["kind"], "Deployment"), "expected a StatefulSet"),
    ("single-node", "two all-in-one replicas",
     lambda d: set_path(find(d, "StatefulSet", "catena"), ["spec", "replicas"], 2), "must have one replica"),
]

# Mutations of the catenad configuration: checked by running catenad, so slower.
CONFIG_MUTATIONS = [
    ("distributed", "retrieval address pointing at memory",
     lambda d: edit_config(d, "pipeline.yaml", "address: catena-retrieval:50051", "address: catena-memory:50051"),
     "not pods running --service retrieval"),
    ("single-node", "config http_port not the container port",
     lambda d: edit_config(d, "all-in-one.yaml", "http_port: 8080", "http_port: 9090"),
     "server.http_port is 9090 but the container port http is 8080"),
    ("single-node", "a key catenad does not know",
     lambda d: edit_config(d, "all-in-one.yaml", "grpc_port: 50051", "grcp_port: 50051"),
     "catenad rejects its configuration"),
    ("single-node", "a pipeline naming a model that is not configured",
     lambda d: edit_pipelines(d, "model: default", "model: missing-model"),
     "catenad loaded 0 of 1 pipeline files: pipeline file"),
    ("single-node", "the all-in-one pod's model moved off the pod's volumes",
     lambda d: edit_config(d, "all-in-one.yaml", "default=/var/lib/catena/models/", "default=/models/"),
     "model file /models/default.gguf is on no volume mount"),
    ("distributed", "data_dir not on a volume",
     lambda d: edit_config(d, "catenad.yaml", "data_dir: /var/lib/catena", "data_dir: /srv/catena"),
     "is not a writable volume mount"),
]

DOCKERFILE_MUTATIONS = [
    ("no USER", lambda t: t.replace("USER 10001:10001\n", ""), "has no USER"),
    ("USER root", lambda t: t.replace("USER 10001:10001", "USER root"), "not a fixed non-root numeric uid"),
    ("ADD of a URL", lambda t: t + "ADD https://example.com/tool.tar.gz /opt/\n", "ADD of a URL"),
    ("curl | sh", lambda t: t + "RUN curl -fsSL https://example.com/install.sh | sh\n", "downloads from outside"),
    ("no COPY --from", lambda t: t.replace("COPY --from=build", "COPY"), "copies nothing from the build stage"),
    ("ubuntu runtime", lambda t: t.replace("=debian:12-slim", "=ubuntu:22.04"), "expected debian:12-slim"),
    ("-dev in runtime", lambda t: t.replace("ca-certificates tini", "ca-certificates tini libgrpc++-dev"),
     "installs build packages"),
    ("shell-form entrypoint", lambda t: t.replace('ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/catenad"]',
                                                  "ENTRYPOINT /usr/local/bin/catenad"), "exec-form"),
    ("no Release build", lambda t: t.replace("-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_BUILD_TYPE=Debug"),
     "-DCMAKE_BUILD_TYPE=Release"),
]
LIBRARY_MUTATION = ("yaml-cpp runtime package missing", "libyaml-cpp0.7 ", "lacks package libyaml-cpp0.7")


def run_manifest_mutations(rendered, context, mutations, with_config):
    failures = []
    for overlay, description, mutate, expected in mutations:
        docs = copy.deepcopy(rendered[overlay])
        mutate(docs)
        problems, _ = check_deploy.check_overlay(overlay, docs, context, with_config)
        if not any(expected in p for p in problems):
            failures.append("%s (%s): expected a problem containing %r, got %s" % (description, overlay, expected,
                                                                                   problems or "none"))
    return failures


def run_dockerfile_mutations(source_dir, catenad):
    with open(os.path.join(source_dir, "deploy/Dockerfile")) as f:
        original = f.read()
    with open(os.path.join(source_dir, ".dockerignore")) as f:
        ignore = f.read()
    failures = []
    for description, mutate, expected in DOCKERFILE_MUTATIONS:
        problems = dockerfile_checks.check_dockerfile(mutate(original), ignore)[0]
        if not any(expected in p for p in problems):
            failures.append("Dockerfile %s: expected %r, got %s" % (description, expected, problems or "none"))
    if dockerfile_checks.check_dockerfile(original, ".git\n")[0] == []:
        failures.append(".dockerignore without build*: not reported")
    description, removed, expected = LIBRARY_MUTATION
    packages = dockerfile_checks.check_dockerfile(original.replace(removed, ""), ignore)[3]
    problems, notes = dockerfile_checks.check_runtime_libraries([catenad], packages)
    if not notes and not any(expected in p for p in problems):
        failures.append("Dockerfile %s: expected %r, got %s" % (description, expected, problems or "none"))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--catenad", required=True)
    parser.add_argument("--kubectl")
    args = parser.parse_args()
    kubectl = check_deploy.find_kubectl(args.kubectl)
    problems, _, uid, gid = check_deploy.check_image(args.source_dir, args.catenad)
    context = {"services": check_deploy.catalog(args.source_dir), "metrics": check_deploy.metric_names(
        args.source_dir), "uid": uid, "gid": gid, "catenad": os.path.abspath(args.catenad)}
    rendered = {}
    for overlay in check_deploy.OVERLAYS:
        docs, error = check_deploy.render(kubectl, os.path.join(args.source_dir, "deploy/k8s/overlays", overlay))
        if error:
            sys.exit("selftest: %s" % error)
        rendered[overlay] = docs
        problems += check_deploy.check_overlay(overlay, copy.deepcopy(docs), context)[0]
    failures = ["baseline must pass first: %s" % p for p in problems]
    failures += run_manifest_mutations(rendered, context, MANIFEST_MUTATIONS, with_config=False)
    failures += run_manifest_mutations(rendered, context, CONFIG_MUTATIONS, with_config=True)
    failures += run_dockerfile_mutations(args.source_dir, args.catenad)
    for failure in failures:
        print("selftest: FAIL: %s" % failure)
    total = len(MANIFEST_MUTATIONS) + len(CONFIG_MUTATIONS) + len(DOCKERFILE_MUTATIONS) + 2
    print("selftest: %d of %d mutations caught" % (total - len(failures), total) if not problems else
          "selftest: FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
