"""Generates the Python gRPC stubs of proto/catena/v1 (catena/v1/*_pb2.py, *_pb2_grpc.py) with grpc_tools.

Generated code is never committed. The CMake build writes the stubs to <build>/python; a user of a source
checkout without CMake runs

    python3 -m catena.codegen                     # proto dir found from the checkout, output next to the package
    python3 -m catena.codegen --proto-dir proto --out /some/dir   # then set CATENA_PYTHON_STUBS=/some/dir
"""
from __future__ import annotations

import argparse
import pathlib
import sys

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


def default_proto_dir() -> pathlib.Path:
    """proto/ of the source checkout this package sits in (sdk/python/catena -> ../../../proto)."""
    return _PACKAGE_DIR.parents[2] / "proto"


def generate_stubs(out_dir: str | pathlib.Path | None = None, proto_dir: str | pathlib.Path | None = None) -> list:
    """Runs grpc_tools.protoc over proto_dir/catena/v1/*.proto into out_dir (a directory that then holds
    catena/v1/...; default: the directory containing this package). Returns the generated file paths.
    Raises RuntimeError naming the problem when grpc_tools is missing or protoc fails."""
    try:
        from grpc_tools import protoc
    except ImportError as error:
        raise RuntimeError("catena.codegen needs grpc_tools (Debian: python3-grpc-tools; pip: grpcio-tools)") from error
    proto_dir = pathlib.Path(proto_dir) if proto_dir else default_proto_dir()
    out_dir = pathlib.Path(out_dir) if out_dir else _PACKAGE_DIR.parent
    protos = sorted(str(p.relative_to(proto_dir)) for p in (proto_dir / "catena" / "v1").glob("*.proto"))
    if not protos:
        raise RuntimeError(f"no .proto files under {proto_dir / 'catena' / 'v1'}")
    out_dir.mkdir(parents=True, exist_ok=True)
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    args = ["grpc_tools.protoc", f"--proto_path={proto_dir}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}"]
    if include.is_dir():
        args.append(f"--proto_path={include}")
    code = protoc.main(args + protos)
    if code != 0:
        raise RuntimeError(f"grpc_tools.protoc failed with exit code {code} for {proto_dir}")
    return sorted(str(p) for p in (out_dir / "catena" / "v1").glob("*_pb2*.py"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m catena.codegen", description=__doc__.splitlines()[0])
    parser.add_argument("--proto-dir", help="directory holding catena/v1/*.proto (default: the checkout's proto/)")
    parser.add_argument("--out", help="output directory (default: next to the catena package)")
    args = parser.parse_args(argv)
    try:
        files = generate_stubs(args.out, args.proto_dir)
    except RuntimeError as error:
        print(f"catena.codegen: {error}", file=sys.stderr)
        return 1
    print(f"generated {len(files)} files in {pathlib.Path(files[0]).parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
