import { parseArgs } from 'node:util';
import { SEVERITIES, type Severity } from '../../api/constants.js';

/** A command line that cannot be run as typed; `tripline analyze` exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Output formats of `tripline analyze`. */
export const OUTPUTS = ['table', 'json', 'sarif'] as const;
/** One output format. */
export type Output = (typeof OUTPUTS)[number];

/** What `tripline analyze` was asked to do. */
export interface AnalyzeArgs {
  help: boolean;
  /** Files, directories (searched recursively) and `-` for stdin, in the order given. */
  files: string[];
  output: Output;
  /** Exit 1 when a risk at or above this severity is found; never, when absent. */
  failOn: Severity | undefined;
}

/** Usage text of `tripline analyze`. */
export const ANALYZE_USAGE = `tripline analyze — the operator's risk analysis, offline, for CI pipelines

Usage:
  tripline analyze -f FILE|DIR|- [-f ...] [--output table|json|sarif] [--fail-on SEVERITY]

Flags:
  -f, --filename    a YAML or JSON file (multi-document, List kinds included), a directory
                    (every .yaml, .yml and .json file under it) or - for stdin; repeatable
  -o, --output      table (default, for people), json, or sarif (SARIF 2.1.0 for code scanning)
      --fail-on     exit 1 when a risk of this severity or higher is found:
                    ${SEVERITIES.join(', ')} (default: never)
  -h, --help        this text

Exit codes: 0 no risk at or above --fail-on; 1 such a risk was found; 2 usage or input error
(unreadable file, malformed document).

Examples:
  tripline analyze -f manifests/
  kustomize build overlays/prod | tripline analyze -f - --fail-on High
  helm template my-release ./chart | tripline analyze -f - -o sarif > tripline.sarif
`;

/** `value` as a severity, whatever its case (`high` → `High`). */
function severityOf(value: string): Severity {
  const found = SEVERITIES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!found) throw new UsageError(`--fail-on must be one of ${SEVERITIES.join(', ')}, not "${value}"`);
  return found;
}

/** Parses the arguments after `analyze`; throws {@link UsageError} for what cannot run. */
export function parseAnalyzeArgs(argv: string[]): AnalyzeArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err: unknown) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"; name inputs with -f (see --help)`);
  const help = values.help === true;
  const files = values.filename ?? [];
  if (!help && files.length === 0) throw new UsageError('no input: give -f FILE, -f DIR or -f - (stdin)');
  const output = values.output ?? 'table';
  if (!(OUTPUTS as readonly string[]).includes(output))
    throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}, not "${output}"`);
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('-f - (stdin) can be given once');
  return {
    help,
    files,
    output: output as Output,
    failOn: values['fail-on'] === undefined ? undefined : severityOf(values['fail-on']),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      output: { type: 'string', short: 'o' },
      'fail-on': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
