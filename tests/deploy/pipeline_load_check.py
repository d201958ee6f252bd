"""Starts catenad the way an all-in-one pod would (its args and mounted config), on loopback ports chosen by the
kernel and a temporary data directory, and checks that every pipeline file of the mounted pipelines ConfigMap
is loaded by the real chain engine (catenad logs "pipelines.dir ...: N pipelines loaded, M files with problems"
and one line per rejected file). Models stay unloaded (inference.autoload=false): only their names matter here.

Used by check_deploy.py and selftest.py. The process is always stopped (SIGTERM, then SIGKILL) before return.
"""

import os
import re
import select
import subprocess
import time

import config_checks
from manifest_checks import name_of

READY_TIMEOUT_S = 60
SUMMARY = re.compile(r"pipelines\.dir .*: (\d+) pipelines loaded, (\d+) files with problems")


def materialize_pipelines(files, directory):
    os.makedirs(directory, exist_ok=True)
    count = 0
    for key, text in files.items():
        with open(os.path.join(directory, key), "w") as out:
            out.write(text)
        count += key.endswith(config_checks.PIPELINE_SUFFIXES)
    return count


def wait_until_ready(process):
    """True once catenad prints its ready line; False when it exits or the deadline passes. Reads the raw pipe
    (no Python buffering), so select never waits on output that was already read."""
    deadline, output = time.monotonic() + READY_TIMEOUT_S, b""
    while time.monotonic() < deadline:
        readable, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not readable:
            break
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            return False
        output += chunk
        if b" ready: " in output:
            return True
    return False


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_catenad(catenad, args, workdir):
    """(ready?, exit code or None, log text) of one catenad start with `args`."""
    log_path = os.path.join(workdir, "catenad.log")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir}
    with open(log_path, "w") as log:
        process = subprocess.Popen([catenad] + args, stdout=subprocess.PIPE, stderr=log, env=environment)
        try:
            ready = wait_until_ready(process)
        finally:
            stop(process)
    with open(log_path) as log:
        return ready, process.returncode, log.read()


def check_pipelines_load(catenad, docs, workload, container, effective, workdir):
    """Problems when catenad, started with the container's configuration, rejects a mounted pipeline file."""
    where = "%s container %s" % (name_of(workload), container.get("name"))
    pipelines_dir = (effective.get("pipelines") or {}).get("dir")
    mount = config_checks.mounts_of(workload, container).get(pipelines_dir)
    files = config_checks.configmap_files(docs, mount[1] if mount else None)
    if not files:
        return []
    args, problems = config_checks.materialize_args(docs, workload, container, workdir)
    if problems:
        return problems
    local_pipelines = os.path.join(workdir, "pipelines")
    expected = materialize_pipelines(files, local_pipelines)
    data = os.path.join(workdir, "data")
    args += ["--host", "127.0.0.1", "--grpc-port", "0", "--http-port", "0", "--data-dir", data,
             "--log-format", "text", "--set", "pipelines.dir=" + local_pipelines,
             "--set", "inference.autoload=false"]
    ready, code, log = run_catenad(catenad, args, workdir)
    if not ready:
        return ["%s: catenad did not start with this configuration (exit %s): %s" % (where, code, log[-2000:])]
    summary = SUMMARY.search(log)
    rejected = [line.split("] ", 3)[-1] for line in log.splitlines() if " not loaded " in line]
    if summary is None:
        return ["%s: catenad did not report loading pipelines.dir: %s" % (where, log[-2000:])]
    if int(summary.group(1)) != expected or rejected:
        return ["%s: catenad loaded %s of %d pipeline files: %s" % (where, summary.group(1), expected,
                                                                    "; ".join(rejected) or summary.group(0))]
    return []
