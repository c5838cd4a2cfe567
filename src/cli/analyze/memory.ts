import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Characters of input read between two memory-reducing garbage collections (1 MiB). Parsing a
 * document makes many times its size in short-lived objects; left to itself, V8 grows its young
 * generation to 128 MB and lets the old one fill with garbage long before a full collection, so
 * over a big stream the process grows far past what `tripline analyze` keeps. Measured on the
 * `make bench` analyze scenario (50,000 objects, 74 MB): peak RSS 335 MB without collections,
 * 227 MB every 4 MiB, ~200 MB every 2 MiB, 158 MB every 1 MiB (at ~0.4 s of CPU per collection).
 */
export const GC_EVERY_CHARS = 1024 * 1024;

/**
 * For the `tripline analyze` process only: a function that runs V8's memory-reducing full
 * collection ("last resort": it also shrinks the young generation), so that peak memory follows
 * what is kept (findings, compact indexes) and not the garbage of the documents already read.
 * `--max-semi-space-size=4` (the operator's flag, ADR 9) is set too, for the V8 versions that
 * honour it at run time. When V8 refuses, the function does nothing: the run is the same, with a
 * higher peak.
 */
export function garbageCollector(): () => void {
  try {
    v8.setFlagsFromString('--max-semi-space-size=4');
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    if (typeof gc === 'function')
      return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // No collector: the run is the same, with a higher peak.
  }
  return () => {};
}
