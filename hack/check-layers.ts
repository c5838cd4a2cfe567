/**
 * Fails when a folder of src/ imports a folder above it in the layer table (docs/adr/0024): data
 * flows one way (DESIGN §5), so folders form no cycles. `madge --circular` checks files; this
 * checks folders, where a cycle of files can hide as two folders that need each other.
 *
 * Usage: node dist/hack/check-layers.js   (exit 1 with every offending import)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Every folder of src/ and its layer: a folder may import its own layer's folders only when the
 * table says so (`PEERS`), and any folder of a lower layer. One row per layer, lowest first.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['api'],
  ['observability'],
  ['kube'],
  ['runtime', 'config'],
  ['subjects'],
  ['detections'],
  ['alerts'],
  ['rbac', 'actors'],
  ['actions', 'traffic', 'notify'],
  ['features'],
  ['main.ts'],
  ['cli'],
];

/** Imports allowed between folders of the same layer (`from → to`). */
const PEERS = new Set(['actions → actors']);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = path.join(ROOT, 'src');

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (name.endsWith('.ts')) yield p;
  }
}

/** The top folder of a path under src/ (`main.ts` for the entry point). */
const folderOf = (file: string): string =>
  (path.relative(SRC, file).split(path.sep)[0] ?? '').replace(/\.js$/, '.ts');

function layerOf(folder: string): number {
  const i = LAYERS.findIndex((row) => row.includes(folder));
  if (i < 0) throw new Error(`src/${folder} is in no layer of hack/check-layers.ts: add it`);
  return i;
}

/** Every import of a folder above the importing one, as `file: from → to (specifier)`. */
export function violations(): string[] {
  const out: string[] = [];
  for (const file of tsFiles(SRC)) {
    const from = folderOf(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, false);
    for (const { fileName: spec } of info.importedFiles) {
      if (!spec.startsWith('.')) continue;
      const to = folderOf(path.resolve(path.dirname(file), spec));
      if (to === from || to.startsWith('..')) continue;
      const [a, b] = [layerOf(from), layerOf(to)];
      if (b < a || (b === a && PEERS.has(`${from} → ${to}`))) continue;
      out.push(`${path.relative(ROOT, file)}: ${from} → ${to} (${spec})`);
    }
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const found = violations();
  if (found.length > 0) {
    console.error(
      `imports against the layers (hack/check-layers.ts, docs/adr/0024):\n  ${found.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(`src/: ${LAYERS.flat().length} folders, every import goes down a layer`);
}
