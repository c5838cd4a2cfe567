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

  constructor(
    message: string,
    opts: { status: number; reason?: string; retryAfterSeconds?: number | undefined; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ApiError';
    this.status = opts.status;
    this.reason = opts.reason ?? '';
    this.retryAfterSeconds = opts.retryAfterSeconds;
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
/** 413, or 422/500 whose message says the object is too large for etcd or the request body limit. */
export const isTooLarge = (err: unknown): boolean => {
  const s = statusOf(err);
  if (s === 413) return true;
  const msg = err instanceof Error ? err.message : '';
  return (s === 422 || s === 500) && /too (large|long)|exceeds|Request entity too large/i.test(msg);
};
/** 429 and 5xx, and answers that never came (status 0): try again later. */
export const isRetryable = (err: unknown): boolean => {
  const s = statusOf(err);
  return s === 0 || s === 429 || s >= 500;
};
