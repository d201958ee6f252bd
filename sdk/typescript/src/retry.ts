// Retry policy of the SDK: idempotent calls that fail with UNAVAILABLE are retried with exponential backoff and
// jitter, never past the call's deadline. Pure functions plus a cancellable sleep; no shared state.

export interface RetryPolicy {
  // Retries after the first attempt (0 turns retries off). Default 3.
  maxRetries?: number;
  // Backoff before the first retry, in ms. Default 100.
  initialBackoffMs?: number;
  // Upper bound of one backoff, in ms. Default 2000.
  maxBackoffMs?: number;
  // Growth factor per retry. Default 2.
  multiplier?: number;
}

export type ResolvedRetryPolicy = Required<RetryPolicy>;

export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = {
  maxRetries: 3,
  initialBackoffMs: 100,
  maxBackoffMs: 2000,
  multiplier: 2,
};

// A number means maxRetries; an object overrides the defaults field by field.
export function resolveRetryPolicy(value: number | RetryPolicy | undefined, base = DEFAULT_RETRY_POLICY):
    ResolvedRetryPolicy {
  if (value === undefined) return base;
  const policy = typeof value === 'number' ? {...base, maxRetries: value} : {...base, ...value};
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries < 0) {
    throw new RangeError(`retries.maxRetries must be an integer >= 0, got ${policy.maxRetries}`);
  }
  if (!(policy.initialBackoffMs >= 0) || !(policy.maxBackoffMs >= policy.initialBackoffMs)) {
    throw new RangeError('retries: need 0 <= initialBackoffMs <= maxBackoffMs');
  }
  if (!(policy.multiplier >= 1)) throw new RangeError(`retries.multiplier must be >= 1, got ${policy.multiplier}`);
  return policy;
}

// Backoff before retry number `retry` (0-based): the exponential bound, jittered to between half and all of it.
export function backoffMs(policy: ResolvedRetryPolicy, retry: number, random: () => number = Math.random): number {
  const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * Math.pow(policy.multiplier, retry));
  return bound / 2 + random() * (bound / 2);
}

// Resolves after `ms`, or rejects with the signal's reason when it aborts first.
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, {once: true});
  });
}
