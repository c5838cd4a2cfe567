import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Characters of input read between two full garbage collections. Parsing a document makes many
 * times its size in short-lived objects; V8 lets them pile up in the old generation long before a
 * full collection, so over a big stream its heap grows far past what `tripline analyze` keeps.
 */
export const GC_EVERY_CHARS = 4 * 1024 * 1024;

/**
 * A function that runs a full garbage collection of the calling isolate, so that peak memory
 * follows what is kept (findings, compact indexes) and not the garbage of the documents already
 * read. When V8 refuses, the function does nothing and the run only uses more memory.
 */
export function garbageCollector(): () => void {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    if (typeof gc === 'function') return () => gc();
  } catch {
    // No collector: the run is the same, with a higher peak.
  }
  return () => {};
}
