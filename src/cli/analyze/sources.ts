import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** One input, read chunk by chunk, and the name it is reported under. */
export interface Source {
  /** The path as the user would recognise it (relative when under the working directory), or `stdin`. */
  name: string;
  /** The input's chunks; reading a file that fails mid-way throws {@link InputError}. */
  chunks(): AsyncIterable<string | Buffer> | Iterable<string | Buffer>;
}

/** Standard input as chunks. */
export type StdinChunks = () => AsyncIterable<string | Buffer> | Iterable<string | Buffer>;

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

/** A file's chunks (64 KiB each), opened when read; errors name the file. */
async function* fileChunks(file: string, name: string): AsyncGenerator<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err: unknown) {
    throw new InputError(`${name}: cannot read (${reason(err)})`, { cause: err });
  }
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 64 * 1024, autoClose: false }))
      yield chunk as Buffer;
  } catch (err: unknown) {
    throw new InputError(`${name}: cannot read (${reason(err)})`, { cause: err });
  } finally {
    await handle.close();
  }
}

/**
 * Every input, to be read in order and chunk by chunk (nothing is held whole): files as named,
 * directories recursively (`.yaml`, `.yml`, `.json`), `-` from `stdin`. A path that does not exist
 * is an {@link InputError} naming it, before anything is read.
 */
export async function listSources(inputs: string[], cwd: string, stdin: StdinChunks): Promise<Source[]> {
  const out: Source[] = [];
  for (const input of inputs) {
    if (input === '-') {
      out.push({ name: STDIN_NAME, chunks: stdin });
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
      const name = displayName(f, cwd);
      out.push({ name, chunks: () => fileChunks(f, name) });
    }
  }
  return out;
}

const reason = (err: unknown): string =>
  (err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message : String(err));
