import type { KubeApi } from './api.js';
import { AnswerTooLargeError } from './errors.js';

/**
 * Sizes list pages to a byte budget: a page that passed it is asked again with a quarter of the
 * items, and each page that fit sets the next one's item count from its bytes per item, aiming at
 * half the budget (objects of one resource vary in size), never above the configured page size.
 */
export class PageSizer {
  readonly #max: number;
  /** Bytes of one page answer at most; undefined: no bound (pages of `max` items). */
  readonly maxBytes: number | undefined;
  /** Items to ask for in the next page. */
  limit: number;

  constructor(max: number, maxBytes: number | undefined) {
    this.#max = max;
    this.maxBytes = maxBytes;
    this.limit = max;
  }

  /** After a page that passed the budget: false when it held one item already (nothing to shrink). */
  shrink(): boolean {
    if (this.limit <= 1) return false;
    this.limit = Math.max(1, Math.floor(this.limit / 4));
    return true;
  }

  /** After a page of `items` objects that took `bytes`. */
  fit(items: number, bytes: number): void {
    if (this.maxBytes === undefined || items === 0 || bytes === 0) return;
    const fits = Math.floor(this.maxBytes / 2 / (bytes / items));
    this.limit = Math.max(1, Math.min(this.#max, fits));
  }
}

/** Options of {@link listPage}. */
export interface ListPageOptions {
  accept?: string | undefined;
  signal?: AbortSignal;
  /** A page passed the budget and is asked again with `limit` items. */
  onShrunk?: (maxBytes: number, limit: number) => void;
}

/**
 * One page of a paginated list (`continue` token `token`, undefined for the first), of as many
 * items as `sizer` allows: an answer past its byte budget is abandoned unread and asked again with
 * fewer items. A single item past the budget throws the {@link AnswerTooLargeError}.
 */
export async function listPage<T extends { items?: unknown[] | null }>(
  client: KubeApi,
  path: string,
  token: string | undefined,
  sizer: PageSizer,
  opts: ListPageOptions = {},
): Promise<T> {
  for (;;) {
    let bytes = 0;
    try {
      const page = await client.request<T>('GET', path, {
        query: { limit: sizer.limit, continue: token },
        accept: opts.accept,
        signal: opts.signal,
        maxBytes: sizer.maxBytes,
        onBodyBytes: (n) => {
          bytes = n;
        },
      });
      sizer.fit(page.items?.length ?? 0, bytes);
      return page;
    } catch (err: unknown) {
      if (!(err instanceof AnswerTooLargeError) || !sizer.shrink()) throw err;
      opts.onShrunk?.(err.maxBytes, sizer.limit);
    }
  }
}
