"""Typed errors of the Catena SDK: one exception class per gRPC status code, all derived from CatenaError.

Every failed call raises a subclass of CatenaError; grpc.RpcError never escapes the SDK.
"""
from __future__ import annotations

import grpc


class CatenaError(Exception):
    """A failed Catena call. `code` is the grpc.StatusCode, `details` the server's message, `method` the RPC."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, details: str, *, code: grpc.StatusCode | None = None, method: str = ""):
        super().__init__(f"{method}: {details}" if method else details)
        if code is not None:
            self.code = code
        self.details = details
        self.method = method


class Cancelled(CatenaError):
    code = grpc.StatusCode.CANCELLED


class Unknown(CatenaError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(CatenaError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(CatenaError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(CatenaError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(CatenaError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(CatenaError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(CatenaError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(CatenaError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(CatenaError):
    code = grpc.StatusCode.ABORTED


class OutOfRange(CatenaError):
    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(CatenaError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(CatenaError):
    code = grpc.StatusCode.INTERNAL


class Unavailable(CatenaError):
    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(CatenaError):
    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(CatenaError):
    code = grpc.StatusCode.UNAUTHENTICATED


_BY_CODE = {cls.code: cls for cls in (
    Cancelled, Unknown, InvalidArgument, DeadlineExceeded, NotFound, AlreadyExists, PermissionDenied,
    ResourceExhausted, FailedPrecondition, Aborted, OutOfRange, Unimplemented, Internal, Unavailable, DataLoss,
    Unauthenticated)}


def error_for_code(code: grpc.StatusCode, details: str, method: str = "") -> CatenaError:
    """The typed error for a gRPC status code (CatenaError itself for codes without a class)."""
    cls = _BY_CODE.get(code, CatenaError)
    return cls(details, code=code, method=method)


def from_rpc_error(error: grpc.RpcError, method: str = "") -> CatenaError:
    """Converts a grpc.RpcError raised by a stub into the matching CatenaError subclass."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    return error_for_code(code, details or "", method)
