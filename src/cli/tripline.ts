#!/usr/bin/env node
import { apiLocation, isTerminal, loadSettings, SettingsError, settingsHelp } from '../config/load.js';
import { garbageCollector, readProcessStdin, runAnalyze } from './analyze/index.js';
import { exitWith } from './exit.js';

const USAGE = `tripline — raises an AuditAlert for every new Ingress, workload, ClusterRole and Namespace

Usage:
  tripline run [flags]     run the operator (in a Pod, or against --kubeconfig)
  tripline analyze -f ...  the same risk analysis offline, over manifests (see tripline analyze --help)
  tripline version         print the version
  tripline --help          this text

Flags of "run" (each also settable by environment variable or config file):
${settingsHelp()}
`;

const VERSION = '0.1.0';

/** Entry point of the `tripline` command. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === 'version' || cmd === '--version') {
    process.stdout.write(`tripline ${VERSION}\n`);
    return 0;
  }
  if (cmd === 'run') return await run(rest);
  if (cmd === 'analyze') {
    const io = {
      stdout: (t: string) => process.stdout.write(t),
      stderr: (t: string) => process.stderr.write(t),
      readStdin: readProcessStdin,
      cwd: process.cwd(),
      version: VERSION,
      collectGarbage: garbageCollector(),
    };
    return await runAnalyze(rest, io);
  }
  process.stderr.write(`tripline: unknown command "${cmd}"; see tripline --help\n`);
  return 2;
}

async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let settings: ReturnType<typeof loadSettings>;
  try {
    settings = loadSettings(args);
  } catch (err: unknown) {
    if (err instanceof SettingsError) {
      process.stderr.write(`tripline: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  // Loaded here, not at the top: `tripline analyze` and `version` never load the operator's code.
  const { runOperator } = await import('../main.js');
  const op = await runOperator(settings, apiLocation(settings), isTerminal());
  const why = await new Promise<'signal' | 'lost'>((resolve) => {
    const stop = (): void => resolve('signal');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void op.lost.then(() => resolve('lost'));
  });
  await op.stop();
  // Leadership lost: exit non-zero so the supervisor restarts this replica as a follower.
  return why === 'lost' ? 1 : 0;
}

exitWith('tripline', main(process.argv.slice(2)));
