// Typed errors of the SDK: CatenaError carries the gRPC status (code name and number, details, trailers, the rpc
// and how many attempts were made); one subclass per gRPC code, so callers can `instanceof NotFoundError`.
// toCatenaError maps any failure of a call (a grpc-js ServiceError or anything else) to one of them.

// gRPC status code numbers by name (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
export const GRPC_CODES = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

export type StatusCodeName = keyof typeof GRPC_CODES;

export interface CatenaErrorInit {
  details?: string;
  rpc?: string;
  attempts?: number;
  metadata?: Record<string, string | string[]>;
  cause?: unknown;
}

// A failed call: `code` is the gRPC code name ('NOT_FOUND'), `grpcCode` its number, `details` the server's text.
export class CatenaError extends Error {
  readonly code: StatusCodeName;
  readonly grpcCode: number;
  readonly details: string;
  readonly rpc: string;
  readonly attempts: number;
  readonly metadata: Record<string, string | string[]>;

  constructor(code: StatusCodeName, message: string, init: CatenaErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : {cause: init.cause});
    this.name = new.target.name;
    this.code = code;
    this.grpcCode = GRPC_CODES[code];
    this.details = init.details ?? message;
    this.rpc = init.rpc ?? '';
    this.attempts = init.attempts ?? 1;
    this.metadata = init.metadata ?? {};
  }
}

type Init = CatenaErrorInit;
export class CancelledError extends CatenaError { constructor(m: string, i?: Init) { super('CANCELLED', m, i); } }
export class UnknownError extends CatenaError { constructor(m: string, i?: Init) { super('UNKNOWN', m, i); } }
export class InvalidArgumentError extends CatenaError {
  constructor(m: string, i?: Init) { super('INVALID_ARGUMENT', m, i); }
}
export class DeadlineExceededError extends CatenaError {
  constructor(m: string, i?: Init) { super('DEADLINE_EXCEEDED', m, i); }
}
export class NotFoundError extends CatenaError { constructor(m: string, i?: Init) { super('NOT_FOUND', m, i); } }
export class AlreadyExistsError extends CatenaError {
  constructor(m: string, i?: Init) { super('ALREADY_EXISTS', m, i); }
}
export class PermissionDeniedError extends CatenaError {
  constructor(m: string, i?: Init) { super('PERMISSION_DENIED', m, i); }
}
export class ResourceExhaustedError extends CatenaError {
  constructor(m: string, i?: Init) { super('RESOURCE_EXHAUSTED', m, i); }
}
export class FailedPreconditionError extends CatenaError {
  constructor(m: string, i?: Init) { super('FAILED_PRECONDITION', m, i); }
}
export class AbortedError extends CatenaError { constructor(m: string, i?: Init) { super('ABORTED', m, i); } }
export class OutOfRangeError extends CatenaError { constructor(m: string, i?: Init) { super('OUT_OF_RANGE', m, i); } }
export class UnimplementedError extends CatenaError {
  constructor(m: string, i?: Init) { super('UNIMPLEMENTED', m, i); }
}
export class InternalError extends CatenaError { constructor(m: string, i?: Init) { super('INTERNAL', m, i); } }
export class UnavailableError extends CatenaError { constructor(m: string, i?: Init) { super('UNAVAILABLE', m, i); } }
export class DataLossError extends CatenaError { constructor(m: string, i?: Init) { super('DATA_LOSS', m, i); } }
export class UnauthenticatedError extends CatenaError {
  constructor(m: string, i?: Init) { super('UNAUTHENTICATED', m, i); }
}

const CLASSES: Record<number, new (message: string, init?: Init) => CatenaError> = {
  1: CancelledError, 2: UnknownError, 3: InvalidArgumentError, 4: DeadlineExceededError, 5: NotFoundError,
  6: AlreadyExistsError, 7: PermissionDeniedError, 8: ResourceExhaustedError, 9: FailedPreconditionError,
  10: AbortedError, 11: OutOfRangeError, 12: UnimplementedError, 13: InternalError, 14: UnavailableError,
  15: DataLossError, 16: UnauthenticatedError,
};

// The error class for a gRPC code number; UnknownError for codes outside 1..16.
export function errorClassFor(code: number): new (message: string, init?: Init) => CatenaError {
  return CLASSES[code] ?? UnknownError;
}

interface ServiceErrorLike {
  code?: unknown;
  details?: unknown;
  message?: unknown;
  metadata?: {getMap?: () => Record<string, unknown>};
}

// Maps a grpc-js ServiceError (or any thrown value) of `rpc` to a CatenaError; CatenaErrors pass unchanged.
export function toCatenaError(error: unknown, rpc: string, attempts = 1): CatenaError {
  if (error instanceof CatenaError) return error;
  const e = (error ?? {}) as ServiceErrorLike;
  const code = typeof e.code === 'number' ? e.code : GRPC_CODES.UNKNOWN;
  const details = typeof e.details === 'string' ? e.details : String(e.message ?? error);
  const metadata: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(e.metadata?.getMap?.() ?? {})) {
    metadata[key] = Buffer.isBuffer(value) ? value.toString('base64') : String(value);
  }
  const ErrorClass = errorClassFor(code);
  const name = (Object.keys(GRPC_CODES) as StatusCodeName[]).find((k) => GRPC_CODES[k] === code) ?? 'UNKNOWN';
  return new ErrorClass(`${name}: ${details} (${rpc})`, {details, rpc, attempts, metadata, cause: error});
}
