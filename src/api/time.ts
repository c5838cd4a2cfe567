/** RFC 3339 with second precision, as Kubernetes writes times (`2026-11-23T12:00:00Z`). */
export function toRfc3339(t: Date | number): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parses a Go-style duration (`720h`, `1h30m`, `90s`, `500ms`) into milliseconds. */
export function parseDuration(s: string): number | undefined {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}
