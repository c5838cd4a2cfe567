/**
 * An error answer from the Kubernetes API server, with the HTTP status and the `Status` object's
 * reason and message when the server sent one.
 */
export class ApiError extends Error {
  /** HTTP status code (0 when the request never got an answer). */
  readonly status: number;
  /** `Status.reason`, e.g. `AlreadyExists`, `Expired`, `NotFound`. */
  readonly reason: string;
  /** `Retry-After` in seconds when the server sent it. */
  readonly retryAfterSeconds: number | undefined;
  /** HTTP method of the request (`POST`, `GET`, ...); empty when unknown. */
  readonly method: string;

  constructor(
    message: string,
    opts: {
      status: number;
      reason?: string;
      retryAfterSeconds?: number | undefined;
      method?: string;
      cause?: unknown;
    },
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ApiError';
    this.status = opts.status;
    this.reason = opts.reason ?? '';
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.method = opts.method ?? '';
  }
}

/** A failure that retrying cannot fix: logged, counted and dropped by every queue, never retried. */
export class TerminalError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'TerminalError';
  }
}

/**
 * An answer whose body passed the size the request allowed (`RequestOptions.maxBytes`): reading
 * stopped there and the connection was closed, so the answer never entered memory whole.
 */
export class AnswerTooLargeError extends Error {
  /** The size allowed, in bytes. */
  readonly maxBytes: number;

  constructor(message: string, maxBytes: number) {
    super(message);
    this.name = 'AnswerTooLargeError';
    this.maxBytes = maxBytes;
  }
}

function statusOf(err: unknown): number {
  return err instanceof ApiError ? err.status : -1;
}

/** 404: the object (or the resource) does not exist. */
export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
/** 409 with reason AlreadyExists: a create found the name taken. */
export const isAlreadyExists = (err: unknown): boolean =>
  statusOf(err) === 409 && (err as ApiError).reason === 'AlreadyExists';
/** 409 Conflict on update (stale resourceVersion). */
export const isConflict = (err: unknown): boolean => statusOf(err) === 409;
/** 410 Gone / Expired: a resourceVersion too old to list or watch from. */
export const isGone = (err: unknown): boolean => statusOf(err) === 410;
/** 401/403: credentials refused or RBAC denies the request. */
export const isForbidden = (err: unknown): boolean => statusOf(err) === 401 || statusOf(err) === 403;
/**
 * The API server's and etcd's words for a request over their size limits: etcd's "etcdserver:
 * request is too large", the apiserver's "Request entity too large: limit is 3145728" and its
 * "object is too large" / "exceeds the maximum" size checks. Field validation ("Too long: may not
 * be more than 5 bytes", "must have at most 10 items") is a schema rejection, not a size one.
 */
const REQUEST_TOO_LARGE =
  /request is too large|request entity too large|object is too large|exceeds the max(imum)? (allowed )?(request|object) size/i;

/** 413, or 422/500 whose message is a request-size rejection (never a field-length validation message). */
export const isTooLarge = (err: unknown): boolean => {
  const s = statusOf(err);
  if (s === 413) return true;
  const msg = err instanceof Error ? err.message : '';
  return (s === 422 || s === 500) && REQUEST_TOO_LARGE.test(msg);
};
/** 422 Invalid (or 400 BadRequest): the API server refused the object itself; resending it changes nothing. */
export const isInvalid = (err: unknown): boolean =>
  (statusOf(err) === 422 || statusOf(err) === 400) && !isTooLarge(err);
/** 429 and 5xx, and answers that never came (status 0): try again later. */
export const isRetryable = (err: unknown): boolean => {
  const s = statusOf(err);
  return s === 0 || s === 429 || s >= 500;
};

/** What a queue does with a failed reconcile: retry with backoff, drop it as terminal, or call it done. */
export type ErrorClass = 'retry' | 'terminal' | 'done';

/** Statuses whose answer does not change on resending the same request. */
const TERMINAL_STATUSES = new Set([400, 405, 406, 413, 415, 422]);

/** The first {@link TerminalError} or {@link ApiError} along an error's `cause` chain. */
function decisive(err: unknown): TerminalError | ApiError | undefined {
  let cur: unknown = err;
  for (let depth = 0; cur instanceof Error && depth < 10; depth++) {
    if (cur instanceof TerminalError || cur instanceof ApiError) return cur;
    cur = cur.cause;
  }
  return undefined;
}

/**
 * The one error classifier of every queue (docs/adr/0021). Follows the `cause` chain to the first
 * {@link TerminalError} or {@link ApiError}:
 * - `terminal`: a TerminalError; or an answer that resending cannot change (400, 405, 406, 413,
 *   415, 422: the request or the object is refused as such).
 * - `done`: 404 on a read or write of one object (GET, PUT, PATCH, DELETE): the object is gone,
 *   and a reconcile that re-reads would find nothing to converge. A 404 on POST (a missing
 *   collection: the CRD or the namespace is not there yet) is retried.
 * - `retry`: everything else: network failures, 401/403 (credentials and RBAC get fixed), 409,
 *   429, 5xx, and errors that carry no API answer at all (bugs are retried with backoff, capped).
 */
export function classifyError(err: unknown): ErrorClass {
  const d = decisive(err);
  if (d instanceof TerminalError) return 'terminal';
  if (!d) return 'retry';
  if (TERMINAL_STATUSES.has(d.status)) return 'terminal';
  if (d.status === 404 && d.method !== '' && d.method !== 'POST') return 'done';
  return 'retry';
}
