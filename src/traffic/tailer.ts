import { type FileHandle, open, stat } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import { type LineSink, LineSplitter } from './lines.js';

/** Settings of one tailer. */
export interface TailerOptions {
  path: string;
  /** Read what the file holds already (default: start at its end, like `tail -f`). */
  fromStart: boolean;
  pollMs: number;
  maxLineBytes: number;
}

/** Bytes read per read call. */
const CHUNK = 64 * 1024;
/** Bytes read per poll before yielding to the event loop (HTTP requests, ticks). */
const PER_POLL = 4 * 1024 * 1024;

interface OpenFile {
  handle: FileHandle;
  dev: number;
  ino: number;
  position: number;
}

const errCode = (err: unknown): string | undefined => (err as { code?: string } | undefined)?.code;

/**
 * Follows a JSON access log as `tail -F` does: appends are read as they come; truncation in place
 * (copytruncate) starts over from the top; rotation by rename is noticed by the inode changing,
 * the rest of the old file is read to its end, then the new file from its start. A file that does
 * not exist yet is waited for (and read from its start once it appears). Polls rather than using
 * fs.watch, which misses events on network and overlay file systems. Lines are bounded.
 */
export class FileTailer {
  readonly #opts: TailerOptions;
  readonly #log: Logger;
  readonly #splitter: LineSplitter;
  readonly #buf = Buffer.allocUnsafe(CHUNK);
  #file: OpenFile | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #first = true;

  constructor(opts: TailerOptions, sink: LineSink, log: Logger) {
    this.#opts = opts;
    this.#log = log.child({ file: opts.path });
    this.#splitter = new LineSplitter(opts.maxLineBytes, sink);
  }

  /** Starts polling. */
  start(): void {
    this.#schedule(0);
  }

  /** Stops polling, waits for a poll in progress and closes the file. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#file?.handle.close().catch(() => undefined); // closing a file we only read cannot lose data
    this.#file = undefined;
  }

  /** Reads whatever is new now (tests call this instead of waiting for the timer). */
  async poll(): Promise<void> {
    try {
      await this.#pollOnce();
    } catch (err: unknown) {
      this.#log.warn('Reading the access log failed; retrying', { err });
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.poll().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#opts.pollMs);
      });
    }, ms);
  }

  async #pollOnce(): Promise<void> {
    if (!this.#file) {
      this.#file = await this.#open(!this.#first || this.#opts.fromStart);
      this.#first = false;
      if (!this.#file) return;
    }
    const f = this.#file;
    const size = (await f.handle.stat()).size;
    if (size < f.position) {
      this.#log.info('Access log truncated; reading from the start', { was: f.position, now: size });
      this.#splitter.discard();
      f.position = 0;
    }
    await this.#drain(f);
    await this.#checkRotation(f);
  }

  /** Opens the path: from the start, or at its end. Undefined when it does not exist (yet). */
  async #open(fromStart: boolean): Promise<OpenFile | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(this.#opts.path, 'r');
    } catch (err: unknown) {
      // Appears later: it is a new file then, and the next attempt reads it from the start.
      if (errCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    const st = await handle.stat();
    const position = fromStart ? 0 : st.size;
    this.#log.info('Following access log', { position });
    return { handle, dev: st.dev, ino: st.ino, position };
  }

  /** Reads up to the end of the file (at most PER_POLL bytes per poll). */
  async #drain(f: OpenFile): Promise<number> {
    let total = 0;
    while (total < PER_POLL && !this.#stopped) {
      const { bytesRead } = await f.handle.read(this.#buf, 0, CHUNK, f.position);
      if (bytesRead === 0) break;
      f.position += bytesRead;
      total += bytesRead;
      this.#splitter.push(this.#buf.subarray(0, bytesRead));
    }
    return total;
  }

  /** When the path now names another file (rotation by rename), finishes the old one and switches. */
  async #checkRotation(f: OpenFile): Promise<void> {
    let st: { dev: number; ino: number };
    try {
      st = await stat(this.#opts.path);
    } catch (err: unknown) {
      if (errCode(err) === 'ENOENT') return; // renamed, the new file not created yet: keep reading the old
      throw err;
    }
    if (st.ino === f.ino && st.dev === f.dev) return;
    // Whatever was appended to the old file before the switch still counts.
    while ((await this.#drain(f)) > 0 && !this.#stopped);
    this.#splitter.end();
    await f.handle.close();
    this.#log.info('Access log rotated; following the new file');
    this.#file = await this.#open(true);
    if (this.#file) await this.#drain(this.#file);
  }
}
