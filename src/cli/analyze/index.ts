import { printable } from '../../subjects/read.js';
import { analyseSources } from './analyse.js';
import { ANALYZE_USAGE, type Output, parseAnalyzeArgs, UsageError } from './args.js';
import { jsonReportChunks } from './json.js';
import { anyAtLeast, type Report } from './report.js';
import { sarifChunks } from './sarif.js';
import { InputError, listSources, type StdinChunks } from './sources.js';
import { tableChunks } from './table.js';

export { ANALYZE_USAGE } from './args.js';
export { garbageCollector } from './memory.js';

/** What `tripline analyze` talks to; the real process in the CLI, buffers in tests. */
export interface AnalyzeIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Standard input as chunks, for `-f -` (read as it comes, never held whole). */
  readStdin: StdinChunks;
  /** Directory relative paths are resolved against and shown relative to. */
  cwd: string;
  /** The tool version written into JSON and SARIF. */
  version: string;
  /** Runs a full garbage collection of the process (the CLI; in-process tests leave it out). */
  collectGarbage?: () => void;
}

/** Each output as chunks written one after the other (a big report is never one string). */
const RENDER: Record<Output, (report: Report, version: string) => Iterable<string>> = {
  table: (report) => tableChunks(report),
  json: jsonReportChunks,
  sarif: sarifChunks,
};

const PREFIX = 'tripline analyze';

/** The process's stdin, chunk by chunk. */
export const readProcessStdin: StdinChunks = () => process.stdin;

/**
 * `tripline analyze`: reads manifests, runs the operator's risk analysis on every object, prints
 * the report, and returns the exit code: 2 for usage and input errors (the report of what could be
 * read is still printed), 1 when a risk at or above `--fail-on` was found, 0 otherwise.
 */
export async function runAnalyze(argv: string[], io: AnalyzeIo): Promise<number> {
  let args: ReturnType<typeof parseAnalyzeArgs>;
  try {
    args = parseAnalyzeArgs(argv);
  } catch (err: unknown) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`${PREFIX}: ${err.message}\nSee tripline analyze --help.\n`);
    return 2;
  }
  if (args.help) {
    io.stdout(ANALYZE_USAGE);
    return 0;
  }
  let report: Report;
  try {
    report = await analyseSources(await listSources(args.files, io.cwd, io.readStdin), io.collectGarbage);
  } catch (err: unknown) {
    if (!(err instanceof InputError)) throw err;
    io.stderr(`${PREFIX}: ${err.message}\n`);
    return 2;
  }
  io.collectGarbage?.();
  let written = 0;
  for (const chunk of RENDER[args.output](report, io.version)) {
    io.stdout(chunk);
    // Writing makes garbage too: collected as it goes, so the peak stays that of the analysis.
    if (++written % 16 === 0) io.collectGarbage?.();
  }
  // An empty input passes every threshold: say so, since it usually means a wrong path or a failed build.
  if (report.objects === 0 && report.errors.length === 0)
    io.stderr(`${PREFIX}: warning: the input holds no Kubernetes objects\n`);
  for (const e of report.errors) io.stderr(`${PREFIX}: error: ${printable(e.message)}\n`);
  if (report.errors.length > 0) return 2;
  if (args.failOn !== undefined && anyAtLeast(report.findings, args.failOn)) {
    io.stderr(`${PREFIX}: found risks of severity ${args.failOn} or higher (--fail-on ${args.failOn})\n`);
    return 1;
  }
  return 0;
}
