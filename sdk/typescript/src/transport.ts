// Transport: one grpc-js channel to catenad shared by every service wrapper. Adds the tenant, token and request
// id metadata, applies per-call deadlines (covering all attempts), retries idempotent calls on UNAVAILABLE with
// backoff, converts requests/responses with convert.ts and errors with errors.ts. Safe to share across any
// number of concurrent calls; close() ends the channel.
import * as grpc from '@grpc/grpc-js';
import {MethodDefinition} from '@grpc/proto-loader';
import {Converter} from './convert';
import {CancelledError, CatenaError, toCatenaError} from './errors';
import {loadProtos, Protos, ServiceName} from './protos';
import {backoffMs, resolveRetryPolicy, ResolvedRetryPolicy, RetryPolicy, sleep} from './retry';

// The gRPC metadata key catenad reads the tenant from (same as the C++ SDK).
export const TENANT_HEADER = 'x-catena-tenant';
export const REQUEST_ID_HEADER = 'x-request-id';
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface TlsOptions {
  // PEM of the CA(s) to trust; omitted = the system roots.
  rootCerts?: string | Buffer;
  // PEM client certificate chain and key, for mutual TLS (both or neither).
  certChain?: string | Buffer;
  privateKey?: string | Buffer;
  // The name to check the server certificate against, when it differs from the address's host.
  serverName?: string;
}

export interface CatenaOptions {
  // Tenant sent as x-catena-tenant on every call (catenad's default tenant when omitted).
  tenant?: string;
  // Bearer token sent as `authorization: Bearer <token>` on every call.
  token?: string;
  // TLS: true for the system roots, or certificates; omitted = plaintext.
  tls?: boolean | TlsOptions;
  // Deadline of each call (all retries included), ms; 0 = none. Default 60000.
  timeoutMs?: number;
  // Retries of idempotent calls on UNAVAILABLE: a count or a policy. Default 3 retries from 100 ms.
  retries?: number | RetryPolicy;
  // Extra metadata sent on every call.
  headers?: Record<string, string>;
  // Directory holding catena/v1/*.proto; default the package's copy.
  protoDir?: string;
  // Extra grpc-js channel options.
  channelOptions?: grpc.ChannelOptions;
}

export interface CallOptions {
  // Deadline of this call, ms (all retries included); 0 = none. Default: the client's timeoutMs.
  timeoutMs?: number;
  // Cancels the call (CancelledError) when it aborts.
  signal?: AbortSignal;
  // Extra metadata of this call.
  headers?: Record<string, string>;
  // Overrides the client's retry policy for this call.
  retries?: number | RetryPolicy;
  // Overrides whether this call may be retried on UNAVAILABLE.
  idempotent?: boolean;
  // x-request-id of this call (catenad generates one otherwise).
  requestId?: string;
  // Overrides the client's tenant for this call.
  tenant?: string;
}

export const CALL_OPTION_KEYS = ['timeoutMs', 'signal', 'headers', 'retries', 'idempotent', 'requestId', 'tenant'];

interface Method {
  path: string;
  definition: MethodDefinition<unknown, unknown>;
  requestType: string;
  responseType: string;
}

function toBuffer(value: string | Buffer | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function credentialsFor(tls: CatenaOptions['tls']): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  if (tls === true) return grpc.credentials.createSsl();
  if ((tls.certChain === undefined) !== (tls.privateKey === undefined)) {
    throw new RangeError('tls: certChain and privateKey go together (mutual TLS needs both)');
  }
  return grpc.credentials.createSsl(toBuffer(tls.rootCerts), toBuffer(tls.privateKey), toBuffer(tls.certChain));
}

export class Transport {
  readonly protos: Protos;
  readonly converter: Converter;
  private readonly client: grpc.Client;
  private readonly retryPolicy: ResolvedRetryPolicy;
  private readonly methods = new Map<string, Method>();

  constructor(readonly address: string, private readonly options: CatenaOptions = {}) {
    this.protos = loadProtos(options.protoDir);
    this.converter = new Converter(this.protos);
    this.retryPolicy = resolveRetryPolicy(options.retries);
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': 64 << 20,
      'grpc.max_send_message_length': 64 << 20,
      ...options.channelOptions,
    };
    if (typeof options.tls === 'object' && options.tls.serverName) {
      channelOptions['grpc.ssl_target_name_override'] = options.tls.serverName;
      channelOptions['grpc.default_authority'] = options.tls.serverName;
    }
    this.client = new grpc.Client(address, credentialsFor(options.tls), channelOptions);
  }

  // Resolves once the channel is connected; rejects with UnavailableError after timeoutMs.
  ready(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (error) => {
        if (error) reject(toCatenaError({code: 14, details: `${this.address}: ${error.message}`}, 'connect'));
        else resolve();
      });
    });
  }

  close(): void {
    this.client.close();
  }

  // One unary call of `service`.`rpc` with a public request object; resolves to the public response object.
  async unary<T>(service: ServiceName, rpc: string, request: object, call: CallOptions, idempotent: boolean):
      Promise<T> {
    const method = this.method(service, rpc);
    const wire = this.converter.toWire(method.requestType, request);
    const attempt = this.attemptPlan(call, idempotent);
    for (let n = 1; ; ++n) {
      try {
        const response = await this.unaryOnce(method, wire, call, attempt.deadline);
        return this.converter.fromWire<T>(method.responseType, response);
      } catch (error) {
        await this.beforeRetry(toCatenaError(error, method.path, n), n, attempt, call.signal);
      }
    }
  }

  // One server-streaming call; iterate the result with `for await`. Breaking out of the loop cancels the call.
  // The request is checked at once (throws InvalidArgumentError); a retry happens only before the first message.
  stream<T>(service: ServiceName, rpc: string, request: object, call: CallOptions, idempotent: boolean):
      AsyncGenerator<T> {
    const method = this.method(service, rpc);
    const wire = this.converter.toWire(method.requestType, request);
    return this.streamAttempts<T>(method, wire, call, this.attemptPlan(call, idempotent));
  }

  private async *streamAttempts<T>(method: Method, wire: object, call: CallOptions, plan: AttemptPlan):
      AsyncGenerator<T> {
    for (let n = 1; ; ++n) {
      if (call.signal?.aborted) throw new CancelledError(`CANCELLED: aborted (${method.path})`, {rpc: method.path});
      const stream = this.client.makeServerStreamRequest(method.path, method.definition.requestSerialize,
          method.definition.responseDeserialize, wire, this.metadata(call), {deadline: plan.deadline});
      const onAbort = () => stream.cancel();
      call.signal?.addEventListener('abort', onAbort, {once: true});
      let received = false;
      try {
        for await (const message of stream) {
          received = true;
          yield this.converter.fromWire<T>(method.responseType, message);
        }
        return;
      } catch (error) {
        const failure = toCatenaError(error, method.path, n);
        if (received) throw failure;
        await this.beforeRetry(failure, n, plan, call.signal);
      } finally {
        call.signal?.removeEventListener('abort', onAbort);
        stream.cancel();
      }
    }
  }

  private method(service: ServiceName, rpc: string): Method {
    const key = `${service}/${rpc}`;
    const cached = this.methods.get(key);
    if (cached) return cached;
    const serviceDefinition = this.protos.definition[service] as Record<string, MethodDefinition<unknown, unknown>>;
    const definition = serviceDefinition?.[rpc];
    if (!definition) throw new Error(`the loaded protos have no rpc ${key}`);
    const packageName = service.slice(0, service.lastIndexOf('.'));
    const typeName = (t: unknown) => `${packageName}.${(t as {type: {name: string}}).type.name}`;
    const method = {path: definition.path, definition, requestType: typeName(definition.requestType),
      responseType: typeName(definition.responseType)};
    this.methods.set(key, method);
    return method;
  }

  private metadata(call: CallOptions): grpc.Metadata {
    const metadata = new grpc.Metadata();
    const tenant = call.tenant ?? this.options.tenant;
    if (tenant) metadata.set(TENANT_HEADER, tenant);
    if (this.options.token) metadata.set('authorization', `Bearer ${this.options.token}`);
    if (call.requestId) metadata.set(REQUEST_ID_HEADER, call.requestId);
    for (const [key, value] of Object.entries({...this.options.headers, ...call.headers})) {
      metadata.set(key.toLowerCase(), value);
    }
    return metadata;
  }

  private attemptPlan(call: CallOptions, idempotent: boolean): AttemptPlan {
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
    return {
      deadline: timeoutMs > 0 && Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : Infinity,
      retryable: call.idempotent ?? idempotent,
      policy: call.retries === undefined ? this.retryPolicy : resolveRetryPolicy(call.retries, this.retryPolicy),
    };
  }

  private unaryOnce(method: Method, wire: object, call: CallOptions, deadline: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (call.signal?.aborted) {
        return reject(new CancelledError(`CANCELLED: aborted (${method.path})`, {rpc: method.path}));
      }
      const onAbort = () => pending.cancel();
      const pending = this.client.makeUnaryRequest(method.path, method.definition.requestSerialize,
          method.definition.responseDeserialize, wire, this.metadata(call), {deadline}, (error, response) => {
            call.signal?.removeEventListener('abort', onAbort);
            if (error) reject(error);
            else resolve(response);
          });
      call.signal?.addEventListener('abort', onAbort, {once: true});
    });
  }

  // Waits the backoff before attempt n+1, or throws `failure` when the call must not be retried.
  private async beforeRetry(failure: CatenaError, n: number, plan: AttemptPlan, signal?: AbortSignal):
      Promise<void> {
    if (!plan.retryable || failure.code !== 'UNAVAILABLE' || n > plan.policy.maxRetries) throw failure;
    const delay = backoffMs(plan.policy, n - 1);
    if (Date.now() + delay >= plan.deadline) throw failure;
    try {
      await sleep(delay, signal);
    } catch {
      throw new CancelledError(`CANCELLED: aborted while waiting to retry (${failure.rpc})`,
                               {rpc: failure.rpc, attempts: n});
    }
  }
}

interface AttemptPlan {
  deadline: number;
  retryable: boolean;
  policy: ResolvedRetryPolicy;
}
