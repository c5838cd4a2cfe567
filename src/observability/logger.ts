import winston from 'winston';

/** Log output format: `json` in cluster, `text` for people at a terminal. */
export type LogFormat = 'json' | 'text';

/** A structured logger: static messages, values as fields (Kubernetes structured logging style). */
export type Logger = winston.Logger;

/** Control characters would let an object name forge log lines in text output; show them escaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const escapeControl = (s: string): string =>
  s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const errorsWithCause = winston.format((info) => {
  for (const [k, v] of Object.entries(info)) {
    if (v instanceof Error) info[k] = serializeError(v);
  }
  return info;
});

/** Turns an error and its `cause` chain into plain fields a log line can carry. */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) || depth > 5) return err instanceof Error ? err.message : String(err);
  const out: Record<string, unknown> = { message: err.message, name: err.name };
  if (err.stack) out.stack = err.stack;
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number') out.status = status;
  if (err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

const textLine = winston.format.printf((info) => {
  const { level, message, timestamp, component, ...rest } = info;
  const fields = Object.entries(rest)
    .filter(([k]) => typeof k === 'string')
    .map(([k, v]) => `${k}=${escapeControl(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join(' ');
  const comp = component ? ` [${String(component)}]` : '';
  return `${String(timestamp)} ${level.toUpperCase().padEnd(5)}${comp} ${String(message)}${fields ? ` ${fields}` : ''}`;
});

/**
 * Creates the process logger. JSON lines escape control characters by construction; text output
 * escapes them explicitly, so object names can never forge a log line.
 */
export function createLogger(opts: { level: string; format: LogFormat }): Logger {
  const format =
    opts.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), errorsWithCause(), winston.format.json())
      : winston.format.combine(winston.format.timestamp(), errorsWithCause(), textLine);
  return winston.createLogger({
    level: opts.level,
    format,
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** A logger that drops everything, for unit tests of code that logs. */
export function silentLogger(): Logger {
  return winston.createLogger({
    silent: true,
    transports: [new winston.transports.Console({ silent: true })],
  });
}
