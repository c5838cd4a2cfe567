import { isMap, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { asRecord, type Json } from '../../subjects/read.js';
import type { Source } from './sources.js';

/** Where an object came from: file, document (1-based), List item (0-based) and first line. */
export interface Location {
  file: string;
  document: number;
  item?: number;
  line?: number;
}

/** One Kubernetes object of the input, with where it was found. */
export interface InputObject {
  location: Location;
  obj: Json;
}

/** A document that is not a Kubernetes object, or not valid YAML/JSON. */
export interface DocumentError {
  location: Location;
  message: string;
}

/** A mapping without apiVersion and kind (a Helm values file, a config file): skipped, reported. */
export interface NotAnObject {
  location: Location;
}

/** Everything read from one source. */
export interface ParsedSource {
  objects: InputObject[];
  errors: DocumentError[];
  notObjects: NotAnObject[];
}

/** Aliases one document may expand; more is a "billion laughs" document, refused. */
const MAX_ALIASES = 1000;
/** Lists nested deeper than this are not expanded further (Kubernetes Lists do not nest). */
const MAX_LIST_DEPTH = 4;

/** `where` as the user reads it: `file document 3 (line 40)`, `… items[2]`. */
export function describeLocation(l: Location): string {
  const item = l.item === undefined ? '' : ` items[${l.item}]`;
  const line = l.line === undefined ? '' : ` (line ${l.line})`;
  return `${l.file} document ${l.document}${item}${line}`;
}

const describeValue = (v: unknown): string =>
  Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`;

/** The List kinds: `List` (kubectl) and `<Kind>List` (API list responses). */
const isListKind = (kind: string): boolean => kind === 'List' || (kind.endsWith('List') && kind.length > 4);

/** Line of each item of the document's `items`, when the document is a mapping with a sequence there. */
function itemLines(contents: Node | null, lines: LineCounter): Array<number | undefined> {
  if (!isMap(contents)) return [];
  const items = contents.get('items', true);
  if (!isSeq(items)) return [];
  return items.items.map((n) => {
    const at = (n as Node | null)?.range?.[0];
    return at === undefined ? undefined : lines.linePos(at).line;
  });
}

class Collector {
  readonly out: ParsedSource = { objects: [], errors: [], notObjects: [] };

  /** Classifies one value: an object, a List to expand, an error, or a mapping that is no object. */
  add(value: unknown, location: Location, lines: Array<number | undefined>, depth = 0): void {
    const obj = asRecord(value);
    if (!obj) {
      this.error(location, `is ${describeValue(value)}, not a Kubernetes object`);
      return;
    }
    const { apiVersion, kind } = obj;
    if (apiVersion === undefined && kind === undefined) {
      this.out.notObjects.push({ location });
      return;
    }
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
      this.error(location, 'needs both apiVersion and kind as non-empty strings');
      return;
    }
    if (isListKind(kind) && obj.items !== undefined && depth < MAX_LIST_DEPTH)
      this.expand(obj, location, lines, depth);
    else this.out.objects.push({ location, obj });
  }

  /** A List's items; items of a `<Kind>List` that omit apiVersion and kind get the list's. */
  private expand(list: Json, location: Location, lines: Array<number | undefined>, depth: number): void {
    if (!Array.isArray(list.items)) {
      this.error(location, `is a ${list.kind} whose items is ${describeValue(list.items)}, not a list`);
      return;
    }
    const itemKind = list.kind === 'List' ? undefined : (list.kind as string).slice(0, -'List'.length);
    list.items.forEach((item: unknown, i: number) => {
      const rec = asRecord(item);
      const filled =
        rec && itemKind && rec.kind === undefined && rec.apiVersion === undefined
          ? { apiVersion: list.apiVersion, kind: itemKind, ...rec }
          : item;
      const line = depth === 0 ? lines[i] : undefined;
      this.add(filled, { ...location, item: i, ...(line === undefined ? {} : { line }) }, [], depth + 1);
    });
  }

  error(location: Location, message: string): void {
    this.out.errors.push({ location, message: `${describeLocation(location)} ${message}` });
  }
}

/**
 * Parses one source as multi-document YAML (JSON is YAML too), with YAML 1.1 scalars as kubectl
 * reads them (`yes`/`on` are booleans). Expands `List` and `<Kind>List` items. Empty documents
 * are skipped; syntax errors, duplicate keys and non-objects are errors naming the document. Error
 * messages never quote the input (it may hold secret values).
 */
export function parseSource(source: Source): ParsedSource {
  const lines = new LineCounter();
  const docs = parseAllDocuments(source.text, { lineCounter: lines, version: '1.1', prettyErrors: false });
  const c = new Collector();
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    const start = doc.contents?.range?.[0];
    const location: Location = {
      file: source.name,
      document: i + 1,
      ...(start === undefined ? {} : { line: lines.linePos(start).line }),
    };
    const syntax = doc.errors[0];
    if (syntax) {
      const at = lines.linePos(syntax.pos[0]);
      // yaml's messages (without prettyErrors) describe the problem, never quote the input.
      const what = syntax.message.split('\n')[0]?.slice(0, 200);
      c.error(location, `is not valid YAML: ${what} (line ${at.line}, column ${at.col})`);
      return;
    }
    if (doc.contents === null) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err: unknown) {
      c.error(location, `cannot be read: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      return;
    }
    if (value === null || value === undefined) return;
    c.add(value, location, itemLines(doc.contents, lines));
  });
  return c.out;
}
