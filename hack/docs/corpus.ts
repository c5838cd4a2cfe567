/**
 * The labelled corpus (test/fixtures/corpus/): every attack fixture runs through `tripline analyze`
 * in-process, and its `# expect:` labels are tallied per risk category. The unit test asserts on the
 * run; `make docs` writes its recall table into docs/analyze.md (block `corpus-recall`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type AnalyzeIo, runAnalyze } from '../../src/cli/analyze/index.js';

export const CORPUS = 'test/fixtures/corpus';

/** One risk `tripline analyze -o json` reported. */
export interface Finding {
  id: string;
  severity: string;
}

/** What one `tripline analyze -f FILE -o json` printed and returned. */
export interface Ran {
  code: number;
  objects: number;
  findings: Finding[];
  errors: unknown[];
  stderr: string;
}

/** Labelled risks of one category (`binding`) and how many of them were raised. */
export interface Tally {
  fixtures: Set<string>;
  labelled: number;
  raised: number;
}

/** One run of the whole corpus: the tests and the recall table read the same run. */
export interface Corpus {
  attack: Map<string, { technique: string; expect: string[]; ran: Ran }>;
  benign: Map<string, Ran>;
  tallies: Map<string, Tally>;
  benignTotals: { files: number; objects: number; highs: number };
}

export const HIGH = new Set(['Critical', 'High']);

/** `tripline analyze ARGS` in-process from `cwd`, with `stdin` as its standard input: what it printed and its exit code. */
export async function runCaptured(
  args: string[],
  opts: { cwd: string; stdin?: Iterable<string | Buffer>; version?: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: AnalyzeIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: () => opts.stdin ?? [],
    cwd: opts.cwd,
    version: opts.version ?? '9.9.9',
  };
  const code = await runAnalyze(args, io);
  return { code, stdout, stderr };
}

/** `tripline analyze -f FILE -o json`, in-process, from the repository root `root`. */
async function analyzeFile(root: string, file: string): Promise<Ran> {
  const { code, stdout, stderr } = await runCaptured(['-f', file, '-o', 'json'], {
    cwd: root,
    version: 'corpus',
  });
  const out = JSON.parse(stdout);
  return { code, objects: out.summary.objects, findings: out.findings, errors: out.errors, stderr };
}

/** The fixtures of `attack` or `benign`, as paths relative to the repository root. */
export const filesIn = (root: string, dir: string): string[] =>
  readdirSync(path.join(root, CORPUS, dir))
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort()
    .map((f) => `${CORPUS}/${dir}/${f}`);

/** The `# technique:` and `# expect:` header of an attack fixture. */
export function header(root: string, file: string): { technique: string; expect: string[] } {
  const text = readFileSync(path.join(root, file), 'utf8');
  const technique = /^# technique: (.+)$/m.exec(text)?.[1]?.trim() ?? '';
  const expect = (/^# expect: (.+)$/m.exec(text)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { technique, expect };
}

/** The category of a risk id: what comes before its first dot (`binding.cluster-admin` → binding). */
const categoryOf = (id: string): string => id.slice(0, id.indexOf('.'));

/** Runs every fixture once. */
export async function runCorpus(root: string): Promise<Corpus> {
  const corpus: Corpus = {
    attack: new Map(),
    benign: new Map(),
    tallies: new Map(),
    benignTotals: { files: 0, objects: 0, highs: 0 },
  };
  for (const file of filesIn(root, 'attack')) {
    const { technique, expect } = header(root, file);
    const ran = await analyzeFile(root, file);
    corpus.attack.set(file, { technique, expect, ran });
    const raised = new Set(ran.findings.map((f) => f.id));
    for (const id of expect) {
      const t = corpus.tallies.get(categoryOf(id)) ?? { fixtures: new Set<string>(), labelled: 0, raised: 0 };
      t.fixtures.add(file);
      t.labelled++;
      if (raised.has(id)) t.raised++;
      corpus.tallies.set(categoryOf(id), t);
    }
  }
  for (const file of filesIn(root, 'benign')) {
    const ran = await analyzeFile(root, file);
    corpus.benign.set(file, ran);
    corpus.benignTotals.files++;
    corpus.benignTotals.objects += ran.objects;
    corpus.benignTotals.highs += ran.findings.filter((f) => HIGH.has(f.severity)).length;
  }
  return corpus;
}

/** The recall table: labelled risks per category and how many were raised, then the benign line. */
export function recallTable(c: Pick<Corpus, 'tallies' | 'benignTotals'>): string {
  const rows = [...c.tallies.entries()].sort(([a], [b]) => a.localeCompare(b));
  const pct = (raised: number, labelled: number): string =>
    labelled === 0 ? '–' : `${Math.round((raised / labelled) * 1000) / 10} %`;
  let labelled = 0;
  let raised = 0;
  const files = new Set<string>();
  const lines = [
    '| category | attack fixtures | labelled risks | raised | recall |',
    '|---|---|---|---|---|',
    ...rows.map(([category, t]) => {
      labelled += t.labelled;
      raised += t.raised;
      for (const f of t.fixtures) files.add(f);
      return `| \`${category}.*\` | ${t.fixtures.size} | ${t.labelled} | ${t.raised} | ${pct(t.raised, t.labelled)} |`;
    }),
    `| **all** | ${files.size} | ${labelled} | ${raised} | ${pct(raised, labelled)} |`,
  ];
  const b = c.benignTotals;
  return [
    ...lines,
    '',
    `Benign corpus: ${b.files} files, ${b.objects} objects, ${b.highs} High or Critical findings.`,
  ].join('\n');
}
