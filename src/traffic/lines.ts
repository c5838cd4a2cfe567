/**
 * Splits a byte stream into lines with a bound on line length, so a file or request body without
 * newlines can never make the operator buffer it whole. A line longer than the bound is dropped
 * (reported once, as oversized) and reading resumes after its newline.
 */

/** What the splitter hands over. */
export interface LineSink {
  line(text: string): void;
  /** A line longer than the bound was dropped. */
  oversized(): void;
}

const NEWLINE = 0x0a;

/** Incremental, bounded line splitter over Buffers (UTF-8). */
export class LineSplitter {
  readonly #max: number;
  readonly #sink: LineSink;
  #parts: Buffer[] = [];
  #partLength = 0;
  /** True while skipping the rest of an oversized line. */
  #skipping = false;

  constructor(maxLineBytes: number, sink: LineSink) {
    this.#max = maxLineBytes;
    this.#sink = sink;
  }

  /** Bytes held for an unfinished line. */
  get pending(): number {
    return this.#partLength;
  }

  /** Feeds a chunk; complete lines go to the sink at once. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) {
        this.#hold(chunk.subarray(start));
        return;
      }
      this.#finish(chunk.subarray(start, nl));
      start = nl + 1;
    }
  }

  /** Hands over an unfinished last line (end of a request body, or a file replaced by rotation). */
  end(): void {
    if (!this.#skipping && this.#partLength > 0) this.#emit(Buffer.concat(this.#parts, this.#partLength));
    this.#reset();
  }

  /** Drops an unfinished line without handing it over (a truncated file starts again). */
  discard(): void {
    this.#reset();
  }

  #hold(piece: Buffer): void {
    if (this.#skipping || piece.length === 0) return;
    if (this.#partLength + piece.length > this.#max) {
      this.#sink.oversized();
      this.#parts = [];
      this.#partLength = 0;
      this.#skipping = true;
      return;
    }
    // Copy: the caller may reuse its read buffer.
    this.#parts.push(Buffer.from(piece));
    this.#partLength += piece.length;
  }

  #finish(piece: Buffer): void {
    if (this.#skipping) {
      this.#skipping = false;
      return;
    }
    if (this.#partLength + piece.length > this.#max) {
      this.#sink.oversized();
      this.#reset();
      return;
    }
    const whole = this.#partLength === 0 ? piece : Buffer.concat([...this.#parts, piece]);
    this.#reset();
    this.#emit(whole);
  }

  #emit(bytes: Buffer): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--; // CRLF
    if (end === 0) return;
    const text = bytes.toString('utf8', 0, end);
    if (text.trim() !== '') this.#sink.line(text);
  }

  #reset(): void {
    this.#parts = [];
    this.#partLength = 0;
    this.#skipping = false;
  }
}
