import { isMap, isSeq, LineCounter, type Node, parseDocument as parseYaml } from 'yaml';
import { asRecord, type Json } from '../../subjects/read.js';
import { MAX_DOCUMENT_CHARS, type RawDocument, splitText } from './split.js';

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

/** A document that is no Kubernetes object (values.yaml, Chart.yaml, an unrendered template): skipped. */
export interface NotAnObject {
  location: Location;
  /** Why it was skipped, after the location (`is an unrendered Helm template ...`). */
  message: string;
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

/** Where `parseDocument` puts what it read: objects, errors and skipped documents. */
export interface DocumentSink {
  object(o: InputObject): void;
  error(e: DocumentError): void;
  skipped(s: NotAnObject): void;
}

/**
 * Helm's template actions: `{{ ... }}` naming Helm's built-in objects or functions. Go templates of
 * other tools (Prometheus and Alertmanager messages, Argo parameters) name none of these, so a
 * rendered manifest carrying them in strings is still analysed.
 */
const HELM_ACTION =
  /\{\{-?\s*(?:[^{}]*?(?:\$|\.)(?:Values|Release|Chart|Capabilities|Files|Template)\b|(?:include|tpl|toYaml|required|lookup)\b)/;
/** Any template action, telling what a document that fails to read probably is. */
const ANY_ACTION = /\{\{[^{}]*\}\}/;

const TEMPLATE =
  'is an unrendered Helm template ({{ ... }} actions): not analysed; render it first (helm template RELEASE CHART | tripline analyze -f -)';
const KUSTOMIZE =
  'is a kustomize file, not a Kubernetes object: skipped (render it first: kustomize build DIR | tripline analyze -f -)';
const NO_KIND = 'has no apiVersion or no kind: not a Kubernetes object; skipped';

class Collector {
  constructor(private readonly sink: DocumentSink) {}

  /** Classifies one value: an object, a List to expand, an error, or a document that is no object. */
  add(value: unknown, location: Location, lines: Array<number | undefined>, depth = 0): void {
    const obj = asRecord(value);
    if (!obj) {
      // A whole document that is a scalar or a list is some other YAML file (skipped); a List item is an error.
      if (depth === 0) this.skip(location, `is ${describeValue(value)}, not a Kubernetes object; skipped`);
      else this.error(location, `is ${describeValue(value)}, not a Kubernetes object`);
      return;
    }
    const { apiVersion, kind } = obj;
    if (apiVersion === undefined || kind === undefined) {
      // Chart.yaml (apiVersion without kind), values.yaml, config files of other tools.
      this.skip(location, NO_KIND);
      return;
    }
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
      this.error(location, 'needs both apiVersion and kind as non-empty strings');
      return;
    }
    if (apiVersion.startsWith('kustomize.config.k8s.io/')) {
      this.skip(location, KUSTOMIZE);
      return;
    }
    if (isListKind(kind) && obj.items !== undefined && depth < MAX_LIST_DEPTH)
      this.expand(obj, location, lines, depth);
    else this.sink.object({ location, obj });
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
    this.sink.error({ location, message: `${describeLocation(location)} ${message}` });
  }

  skip(location: Location, message: string): void {
    this.sink.skipped({ location, message });
  }
}

/**
 * Parses one document cut from source `file` (see {@link DocumentSplitter}) as YAML (JSON is YAML
 * too), with YAML 1.1 scalars as kubectl reads them (`yes`/`on` are booleans), and hands what it
 * holds to `sink`. Expands `List` and `<Kind>List` items. Empty documents are skipped; documents that
 * are not Kubernetes objects (Chart.yaml, values.yaml, kustomization.yaml, other YAML) and unrendered
 * Helm templates are skipped with a reason; syntax errors, duplicate keys, alias bombs and oversize
 * documents are errors naming the document. Messages never quote the input (it may hold secrets).
 */
export function parseDocument(file: string, raw: RawDocument, sink: DocumentSink): void {
  const c = new Collector(sink);
  const base: Location = { file, document: raw.number, line: raw.line };
  if (raw.oversize) {
    c.error(base, `is larger than ${MAX_DOCUMENT_CHARS / 1024 / 1024} MiB; not read`);
    return;
  }
  if (HELM_ACTION.test(raw.text)) {
    c.skip(base, TEMPLATE);
    return;
  }
  const lines = new LineCounter();
  const doc = parseYaml(raw.text, { lineCounter: lines, version: '1.1', prettyErrors: false });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return { line: p.line + raw.line - 1, col: p.col };
  };
  const start = doc.contents?.range?.[0];
  const location: Location = {
    file,
    document: raw.number,
    line: start === undefined ? raw.line : at(start).line,
  };
  const syntax = doc.errors[0];
  if (syntax) {
    if (ANY_ACTION.test(raw.text)) {
      c.skip(location, TEMPLATE);
      return;
    }
    const where = at(syntax.pos[0]);
    // yaml's messages (without prettyErrors) describe the problem, never quote the input.
    const what = syntax.message.split('\n')[0]?.slice(0, 200);
    c.error(location, `is not valid YAML: ${what} (line ${where.line}, column ${where.col})`);
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
  const item = itemLines(doc.contents, lines).map((l) => (l === undefined ? undefined : l + raw.line - 1));
  const rec = asRecord(value);
  if ((!rec || rec.apiVersion === undefined || rec.kind === undefined) && ANY_ACTION.test(raw.text)) {
    c.skip(location, TEMPLATE);
    return;
  }
  c.add(value, location, item);
}

/** Everything of one whole text, collected (tests and callers that hold the text). */
export function parseSource(source: { name: string; text: string }): ParsedSource {
  const out: ParsedSource = { objects: [], errors: [], notObjects: [] };
  const sink: DocumentSink = {
    object: (o) => out.objects.push(o),
    error: (e) => out.errors.push(e),
    skipped: (s) => out.notObjects.push(s),
  };
  for (const raw of splitText(source.text)) parseDocument(source.name, raw, sink);
  return out;
}
