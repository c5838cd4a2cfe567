import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One input text and the name it is reported under. */
export interface Source {
  /** The path as the user would recognise it (relative when under the working directory), or `stdin`. */
  name: string;
  text: string;
}

/** An input that could not be read; `tripline analyze` exits 2. */
export class InputError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'InputError';
  }
}

/** File endings read from directories; a file named with -f is read whatever its name. */
const MANIFEST = /\.(ya?ml|json)$/i;
/** The name stdin is reported under (also its SARIF artifact URI). */
export const STDIN_NAME = 'stdin';

/** The manifest files under `dir`, recursively, sorted so the output is the same on every run. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    // Symbolic links to directories are not followed: a link cycle must not hang a CI job.
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if ((e.isFile() || e.isSymbolicLink()) && MANIFEST.test(e.name)) out.push(p);
  }
  return out;
}

/** How a path is shown: relative to `cwd` when under it, with forward slashes. */
export function displayName(file: string, cwd: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, file));
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(cwd, file);
  return shown.split(path.sep).join('/');
}

/**
 * Reads every input: files as named, directories recursively (`.yaml`, `.yml`, `.json`), `-` from
 * `readStdin`. A path that does not exist or cannot be read is an {@link InputError} naming it.
 */
export async function readSources(
  inputs: string[],
  cwd: string,
  readStdin: () => Promise<string>,
): Promise<Source[]> {
  const out: Source[] = [];
  for (const input of inputs) {
    if (input === '-') {
      out.push({ name: STDIN_NAME, text: await readStdin() });
      continue;
    }
    const abs = path.resolve(cwd, input);
    let files: string[];
    try {
      files = (await stat(abs)).isDirectory() ? await filesUnder(abs) : [abs];
    } catch (err: unknown) {
      throw new InputError(`${input}: cannot read (${reason(err)})`, { cause: err });
    }
    for (const f of files) {
      try {
        out.push({ name: displayName(f, cwd), text: await readFile(f, 'utf8') });
      } catch (err: unknown) {
        throw new InputError(`${displayName(f, cwd)}: cannot read (${reason(err)})`, { cause: err });
      }
    }
  }
  return out;
}

const reason = (err: unknown): string =>
  (err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message : String(err));
