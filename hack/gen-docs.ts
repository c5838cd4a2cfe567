/**
 * Rewrites the generated blocks of README.md and docs/ from the code and the recorded benchmark
 * results, so tables that mirror code cannot drift. A block is
 *
 *   <!-- BEGIN GENERATED: name -->
 *   …
 *   <!-- END GENERATED -->
 *
 * and `name` is a key of {@link BLOCKS}; everything outside the markers is written by people.
 *
 *   node dist/hack/gen-docs.js           rewrite the blocks (make docs)
 *   node dist/hack/gen-docs.js --check   exit 1 naming every block that differs (make docs-check)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './controlplane/binaries.js';
import {
  benchAblationTable,
  benchCopierTable,
  benchHeadline,
  benchResultsTable,
  benchRunsTable,
  benchTargetsTable,
} from './docs/bench.js';
import { recallTable, runCorpus } from './docs/corpus.js';
import { riskRuleTables, serviceAccountRiskTable } from './docs/risks.js';
import { settingsTable } from './docs/settings.js';

/** Every block name and what generates its text (from the repository root). */
const BLOCKS: Readonly<Record<string, (root: string) => string | Promise<string>>> = {
  settings: () => settingsTable(),
  'risk-rules': () => riskRuleTables(),
  'serviceaccount-risks': () => serviceAccountRiskTable(),
  'corpus-recall': async (root) => recallTable(await runCorpus(root)),
  'bench-runs': (root) => benchRunsTable(root),
  'bench-results': (root) => benchResultsTable(root),
  'bench-copier': (root) => benchCopierTable(root),
  'bench-targets': (root) => benchTargetsTable(root),
  'bench-headline': (root) => benchHeadline(root),
  'bench-ablation': (root) => benchAblationTable(root),
};

const BLOCK = /(<!-- BEGIN GENERATED: ([a-z0-9-]+) -->\n)([\s\S]*?)(<!-- END GENERATED -->)/g;

/** README.md and every Markdown file under docs/, relative to the root. */
function markdownFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f))
    .sort();
  return ['README.md', ...docs];
}

/** A file's text with every block regenerated, and the names of the blocks that changed. */
async function regenerate(
  root: string,
  text: string,
  cache: Map<string, string>,
): Promise<{ text: string; changed: string[] }> {
  const changed: string[] = [];
  const parts: string[] = [];
  let last = 0;
  for (const m of text.matchAll(BLOCK)) {
    const [whole, begin, name = '', current, end] = m;
    const generate = BLOCKS[name];
    if (!generate)
      throw new Error(`unknown generated block "${name}" (known: ${Object.keys(BLOCKS).join(', ')})`);
    if (!cache.has(name)) cache.set(name, `${(await generate(root)).trimEnd()}\n`);
    const fresh = cache.get(name) as string;
    if (fresh !== current) changed.push(name);
    parts.push(text.slice(last, m.index), begin as string, fresh, end as string);
    last = (m.index ?? 0) + whole.length;
  }
  parts.push(text.slice(last));
  return { text: parts.join(''), changed };
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const root = repoRoot();
  const cache = new Map<string, string>();
  const stale: string[] = [];
  for (const file of markdownFiles(root)) {
    const full = path.join(root, file);
    const before = readFileSync(full, 'utf8');
    const { text, changed } = await regenerate(root, before, cache);
    if (changed.length === 0) continue;
    stale.push(...changed.map((name) => `${file}: ${name}`));
    if (!check) writeFileSync(full, text);
  }
  if (check && stale.length > 0) {
    process.stderr.write(
      `generated blocks differ from the code or bench-results/ (run make docs):\n${stale.map((s) => `  ${s}\n`).join('')}`,
    );
    return 1;
  }
  if (!check) for (const s of stale) process.stdout.write(`rewrote ${s}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('gen-docs failed:', err);
    process.exit(1);
  },
);
