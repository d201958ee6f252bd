"""Catena Python SDK: an idiomatic client for every gRPC service of a catenad.

    from catena import Catena
    client = Catena("localhost:50051", tenant="acme")
    print(client.pipelines.run("qa", {"question": "where is my card?"}).outputs)

The generated stubs live in the subpackage catena.v1. They are found (in this order) next to this package
(`python3 -m catena.codegen`), in any other `catena/` directory on sys.path (the CMake build writes them to
<build>/python), or under the directory named by the environment variable CATENA_PYTHON_STUBS.
"""
import os as _os
import pkgutil as _pkgutil

__path__ = _pkgutil.extend_path(__path__, __name__)  # noqa: F821 (module attribute of a package)
if _os.environ.get("CATENA_PYTHON_STUBS"):
    _extra = _os.path.join(_os.environ["CATENA_PYTHON_STUBS"], "catena")
    if _os.path.isdir(_extra) and _extra not in __path__:
        __path__.append(_extra)

from catena.errors import (  # noqa: E402
    Aborted, AlreadyExists, Cancelled, CatenaError, DataLoss, DeadlineExceeded, FailedPrecondition, Internal,
    InvalidArgument, NotFound, OutOfRange, PermissionDenied, ResourceExhausted, Unauthenticated, Unavailable,
    Unimplemented, Unknown)
from catena.options import RetryOptions, TlsOptions  # noqa: E402

__version__ = "0.1.0"

# Names that need the generated stubs are imported on first use, so that `python3 -m catena.codegen` works in a
# checkout without stubs.
_LAZY = {
    "Catena": "catena.client",
    "ChatStream": "catena.inference",
    "GenerateStream": "catena.inference",
    "RunResult": "catena.pipelines",
    "RunEvent": "catena.pipelines",
    "EmbedResult": "catena.embeddings",
    "dict_to_struct": "catena.convert",
    "struct_to_dict": "catena.convert",
    "generate_stubs": "catena.codegen",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'catena' has no attribute {name!r}")
    import importlib
    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("catena.v1"):
            raise ImportError(
                "the generated stubs catena.v1 were not found: build the CMake target catena_python_protos and "
                "put <build>/python on sys.path, run `python3 -m catena.codegen`, or set CATENA_PYTHON_STUBS"
            ) from error
        raise
    globals()[name] = value
    return value


__all__ = ["Catena", "TlsOptions", "RetryOptions", "CatenaError", "Cancelled", "Unknown", "InvalidArgument",
           "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
           "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
           "Unauthenticated", "ChatStream", "GenerateStream", "RunResult", "RunEvent", "EmbedResult",
           "dict_to_struct", "struct_to_dict", "generate_stubs"]
