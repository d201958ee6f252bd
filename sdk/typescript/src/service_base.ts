// Shared plumbing of the per-service wrappers: each wrapper names its proto service, maps every rpc to the
// method that calls it (`rpcs`, checked by the tests against the loaded protos) and splits the options
// argument of a method into request fields and CallOptions.
import {ServiceName} from './protos';
import {CALL_OPTION_KEYS, CallOptions, Transport} from './transport';

// Options of a method: some request fields plus the per-call options.
export type WithCall<T> = T & CallOptions;

// Splits `options` into the request fields and the CallOptions (timeoutMs, signal, headers, ...).
export function splitOptions<T extends object>(options?: WithCall<T>): [Partial<T>, CallOptions] {
  const fields: Record<string, unknown> = {};
  const call: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    (CALL_OPTION_KEYS.includes(key) ? call : fields)[key] = value;
  }
  return [fields as Partial<T>, call as CallOptions];
}

export abstract class ServiceClient {
  constructor(protected readonly transport: Transport, readonly service: ServiceName) {}

  protected callUnary<T>(rpc: string, request: object, call: CallOptions, idempotent: boolean): Promise<T> {
    return this.transport.unary<T>(this.service, rpc, request, call, idempotent);
  }

  protected callStream<T>(rpc: string, request: object, call: CallOptions, idempotent: boolean): AsyncGenerator<T> {
    return this.transport.stream<T>(this.service, rpc, request, call, idempotent);
  }
}
