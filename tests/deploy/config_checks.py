"""Checks a rendered catenad pod's configuration with catenad itself: the ConfigMap files the container mounts
are written to a temporary directory, and `catenad <the container's args> --print-config` runs with the
container's environment, so catenad's own schema validates every key, type and limit. The effective
configuration is then compared with the pod spec (ports, data volume, pipeline and model paths).

Used by check_deploy.py. Keys that catenad does not know yet but that distributed mode adds (services.*) are
reported as a note and checked structurally instead (topology_checks.check_service_addresses).
"""

import os
import re
import subprocess

import yaml

from manifest_checks import container_port, find, name_of, pod_spec

PENDING_SECTIONS = ("services",)  # services.<name>.address: distributed mode (issue 12), not in every catenad yet
PIPELINE_SUFFIXES = (".yaml", ".yml", ".json")


def mounts_of(workload, container):
    """mountPath -> (mount, volume or None for a claim template)."""
    volumes = {v.get("name"): v for v in pod_spec(workload).get("volumes") or []}
    return {m.get("mountPath"): (m, volumes.get(m.get("name"))) for m in container.get("volumeMounts") or []}


def configmap_files(docs, volume):
    if not volume or "configMap" not in volume:
        return None
    configmap = find(docs, "ConfigMap", volume["configMap"].get("name"))
    return (configmap or {}).get("data") or {}


def materialize_args(docs, workload, container, workdir):
    """The container's args with paths inside mounted ConfigMaps replaced by local copies; problems for paths
    that name a missing key."""
    problems, args = [], []
    mounts = mounts_of(workload, container)
    for arg in container.get("args") or []:
        for path, (mount, volume) in mounts.items():
            files = configmap_files(docs, volume)
            if files is None or not arg.startswith(path.rstrip("/") + "/"):
                continue
            key = arg[len(path.rstrip("/")) + 1:]
            if key not in files:
                problems.append("%s: argument %s names key %s, which ConfigMap %s lacks" %
                                (name_of(workload), arg, key, volume["configMap"].get("name")))
                break
            local = os.path.join(workdir, mount.get("name"), key)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with open(local, "w") as out:
                out.write(files[key])
            arg = local
            break
        args.append(arg)
    return args, problems


def config_file_of(args):
    for i, arg in enumerate(args):
        if arg == "--config" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--config="):
            return arg[len("--config="):]
    return None


def run_print_config(catenad, args, env, workdir):
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir}
    environment.update(env)
    return subprocess.run([catenad] + args + ["--print-config"], capture_output=True, text=True, timeout=60,
                          env=environment)


def without_pending_sections(config_path):
    with open(config_path) as f:
        config = yaml.safe_load(f) or {}
    for section in PENDING_SECTIONS:
        config.pop(section, None)
    stripped = config_path + ".without-pending.yaml"
    with open(stripped, "w") as out:
        yaml.safe_dump(config, out)
    return stripped


def effective_config(catenad, docs, workload, container, workdir):
    """(effective config dict or None, the --config file's own YAML, problems, notes)."""
    where = "%s container %s" % (name_of(workload), container.get("name"))
    args, problems = materialize_args(docs, workload, container, workdir)
    if problems:
        return None, None, problems, []
    env = {e["name"]: str(e.get("value", "")) for e in container.get("env") or [] if "valueFrom" not in e}
    config_path = config_file_of(args)
    raw = None
    if config_path:
        with open(config_path) as f:
            raw = yaml.safe_load(f) or {}
    result, notes = run_print_config(catenad, args, env, workdir), []
    pending = [s for s in PENDING_SECTIONS if re.search(r"unknown key '%s[.']" % s, result.stderr)]
    if result.returncode != 0 and pending and config_path:
        notes.append("%s: this catenad does not know %s.* yet (distributed mode in progress); checked the rest "
                     "with catenad and those keys structurally" % (where, ", ".join(pending)))
        args = [without_pending_sections(config_path) if a == config_path else a for a in args]
        result = run_print_config(catenad, args, env, workdir)
    if result.returncode != 0:
        return None, raw, ["%s: catenad rejects its configuration: %s" % (where, result.stderr.strip())], notes
    return yaml.safe_load(result.stdout), raw, [], notes


def check_effective(docs, workload, container, config):
    """The effective configuration agrees with the pod spec."""
    problems, where = [], "%s container %s" % (name_of(workload), container.get("name"))
    server = config.get("server") or {}
    if server.get("host") != "0.0.0.0":
        problems.append("%s: server.host is %r; pods must listen on 0.0.0.0" % (where, server.get("host")))
    for key, port in (("grpc_port", "grpc"), ("http_port", "http")):
        if server.get(key) != container_port(container, port):
            problems.append("%s: server.%s is %s but the container port %s is %s" %
                            (where, key, server.get(key), port, container_port(container, port)))
    grace = pod_spec(workload).get("terminationGracePeriodSeconds", 30)
    if int(server.get("drain_timeout_ms", 0)) >= grace * 1000:
        problems.append("%s: server.drain_timeout_ms %s is not below terminationGracePeriodSeconds %s" %
                        (where, server.get("drain_timeout_ms"), grace))
    mounts = mounts_of(workload, container)
    data = mounts.get(config.get("data_dir"))
    if data is None or data[0].get("readOnly"):
        problems.append("%s: data_dir %s is not a writable volume mount (the root filesystem is read-only)" %
                        (where, config.get("data_dir")))
    pipelines_dir = (config.get("pipelines") or {}).get("dir")
    if pipelines_dir:
        files = configmap_files(docs, (mounts.get(pipelines_dir) or (None, None))[1])
        if files is None:
            problems.append("%s: pipelines.dir %s is not a mounted ConfigMap" % (where, pipelines_dir))
        else:
            problems += check_pipeline_files(files, where)
    models = ((config.get("inference") or {}).get("models") or []) + \
             ((config.get("embedding") or {}).get("gguf_models") or [])
    for item in models:
        path = item.partition("=")[2]
        if not any(path.startswith(m.rstrip("/") + "/") for m in mounts):
            problems.append("%s: model file %s is on no volume mount" % (where, path))
    return problems


def check_pipeline_files(files, where):
    problems = []
    pipeline_keys = [k for k in files if k.endswith(PIPELINE_SUFFIXES)]
    if not pipeline_keys:
        problems.append("%s: the pipelines ConfigMap holds no pipeline file" % where)
    for key in pipeline_keys:
        try:
            pipeline = yaml.safe_load(files[key]) or {}
        except yaml.YAMLError as error:
            problems.append("%s: pipeline file %s is not YAML: %s" % (where, key, error))
            continue
        if pipeline.get("apiVersion") != "catena/v1" or pipeline.get("kind") != "Pipeline" or \
                not (pipeline.get("metadata") or {}).get("name"):
            problems.append("%s: %s is not a catena/v1 Pipeline with metadata.name" % (where, key))
    return problems
