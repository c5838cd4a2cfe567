import { StringDecoder } from 'node:string_decoder';

/** One YAML document's text as cut from a stream, with where it starts. */
export interface RawDocument {
  /** 1-based, in the order of the stream (empty documents count, as `yaml` counts them). */
  number: number;
  /** 1-based line of the document's first line in the stream. */
  line: number;
  /** The text; empty when the document was larger than the bound (then `oversize`). */
  text: string;
  /** The document had more than the bound of characters: its text was dropped while reading. */
  oversize?: true;
}

/**
 * Most characters one document may have (16 MiB). The largest real manifests (CRDs with big
 * schemas) stay well under; a bigger document is reported, not read, so one document cannot
 * take the memory that streaming saves.
 */
export const MAX_DOCUMENT_CHARS = 16 * 1024 * 1024;

/** A line that starts a document (`---`, possibly followed by content) or ends one (`...`). */
const START = /^---(?:[ \t\r]|$)/;
const END = /^\.\.\.(?:[ \t\r]|$)/;
/** Lines that belong to no document by themselves: blank, comments, directives. */
const NOT_CONTENT = /^(?:[ \t\r]*(?:#.*)?|%.*)$/;

/**
 * Cuts a YAML stream into documents at its document markers, line by line, without parsing:
 * a line that starts with `---` or `...` at column 0 ends any scalar in YAML, so the cut is the
 * one a YAML parser makes. Only the current document is held (at most {@link MAX_DOCUMENT_CHARS});
 * comments and directives before a `---` stay with the document they precede.
 */
export class DocumentSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** The partial line grew past the bound: its head only is kept (enough to see a marker). */
  private partialCut = false;
  private lineNo = 0;
  private first = true;
  private lines: string[] = [];
  private chars = 0;
  private startLine = 1;
  private content = false;
  private oversize = false;
  private count = 0;
  private out: RawDocument[] = [];

  /** Feeds a chunk of the stream; returns the documents it completed. */
  push(chunk: string | Buffer): RawDocument[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
      this.appendPartial(text.slice(from, nl));
      this.line(this.partial, this.partialCut);
      this.partial = '';
      this.partialCut = false;
      from = nl + 1;
    }
    this.appendPartial(text.slice(from));
    return this.take();
  }

  /** Ends the stream; returns the last documents. */
  end(): RawDocument[] {
    const rest = this.decoder.end();
    if (rest) this.appendPartial(rest);
    if (this.partial !== '' || this.partialCut) this.line(this.partial, this.partialCut);
    this.partial = '';
    this.flush();
    return this.take();
  }

  private take(): RawDocument[] {
    const docs = this.out;
    this.out = [];
    return docs;
  }

  private appendPartial(s: string): void {
    if (this.partialCut) return;
    this.partial += s;
    if (this.partial.length > MAX_DOCUMENT_CHARS) {
      this.partial = this.partial.slice(0, 4);
      this.partialCut = true;
    }
  }

  private line(line: string, cut: boolean): void {
    this.lineNo++;
    if (START.test(line)) {
      if (this.content) this.flush();
      if (this.lines.length === 0) this.startLine = this.lineNo;
      this.content = true;
    } else if (END.test(line)) {
      if (this.content) this.flush();
      else this.reset();
      return;
    } else if (!this.content && !cut && NOT_CONTENT.test(line)) {
      if (this.lines.length === 0) this.startLine = this.lineNo;
    } else {
      if (this.lines.length === 0 && !this.content) this.startLine = this.lineNo;
      this.content = true;
    }
    if (cut) this.oversize = true;
    if (this.oversize) return;
    this.chars += line.length + 1;
    if (this.chars > MAX_DOCUMENT_CHARS) {
      this.oversize = true;
      this.lines = [];
      return;
    }
    this.lines.push(line);
  }

  private flush(): void {
    if (this.content) {
      this.count++;
      const doc: RawDocument = {
        number: this.count,
        line: this.startLine,
        text: this.oversize ? '' : `${this.lines.join('\n')}\n`,
      };
      if (this.oversize) doc.oversize = true;
      this.out.push(doc);
    }
    this.reset();
  }

  private reset(): void {
    this.lines = [];
    this.chars = 0;
    this.content = false;
    this.oversize = false;
    this.startLine = this.lineNo + 1;
  }
}

/** The documents of a whole text (for callers that already hold it). */
export function splitText(text: string): RawDocument[] {
  const s = new DocumentSplitter();
  return [...s.push(text), ...s.end()];
}

/** The documents of a stream of chunks, as they complete. */
export async function* splitStream(
  chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
): AsyncGenerator<RawDocument> {
  const s = new DocumentSplitter();
  for await (const chunk of chunks) yield* s.push(chunk);
  yield* s.end();
}
