/**
 * The latency chart: cumulative distributions of the floor (create acknowledged → the object's own
 * watch event) and of the alert latency (→ the AuditAlert's watch event), as a hand-written SVG.
 */
import { quantile } from './stats.js';

/** What the chart shows. */
export interface ChartInput {
  /** Ascending samples in ms. */
  floorMs: number[];
  /** The legend of `floorMs` when it is another reference than the object's own watch event. */
  floorLabel?: string;
  latencyMs: number[];
  title: string;
  /** Lines under the title (load, date, commit, machine). */
  subtitle: string[];
}

const W = 820;
const H = 500;
const M = { left: 64, right: 24, top: 84, bottom: 100 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const SERIES = [
  { key: 'floorMs', label: 'floor: object’s own watch event', color: '#7a869a' },
  { key: 'latencyMs', label: 'AuditAlert watch event', color: '#d1495b' },
] as const;

interface Axis {
  min: number;
  max: number;
  step: number;
}

/** Renders the chart; the x axis stops a little after the larger p99.5 so one outlier cannot flatten it. */
export function latencyChart(input: ChartInput): string {
  const axis = xAxis(input);
  const x = (v: number): number =>
    M.left + ((Math.min(Math.max(v, axis.min), axis.max) - axis.min) / (axis.max - axis.min)) * PW;
  const y = (p: number): number => M.top + (1 - p) * PH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="26" font-size="16" font-weight="bold">${esc(input.title)}</text>`,
    ...input.subtitle.map(
      (line, i) => `<text x="${M.left}" y="${46 + i * 17}" fill="#555">${esc(line)}</text>`,
    ),
    ...grid(axis, x, y),
    ...SERIES.flatMap((s, i) => series(input[s.key], s.color, x, y, i)),
    ...legend(input),
    ...beyond(input, axis),
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

function xAxis(input: ChartInput): Axis {
  const hi = Math.max(quantile(input.floorMs, 0.995), quantile(input.latencyMs, 0.995), 1) * 1.1;
  const lo = Math.min(0, input.floorMs[0] ?? 0, input.latencyMs[0] ?? 0);
  const step = niceStep((hi - lo) / 8);
  return { min: Math.floor(lo / step) * step, max: Math.ceil(hi / step) * step, step };
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function grid(axis: Axis, x: (v: number) => number, y: (p: number) => number): string[] {
  const out: string[] = [];
  for (let v = axis.min; v <= axis.max + axis.step / 2; v += axis.step) {
    const label = Number(v.toPrecision(6));
    out.push(`<line x1="${x(v)}" y1="${M.top}" x2="${x(v)}" y2="${M.top + PH}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${M.top + PH + 18}" text-anchor="middle">${label}</text>`);
  }
  for (const p of [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
    const dash = p === 0.5 || p === 0.99 ? ' stroke-dasharray="4 3"' : '';
    out.push(`<line x1="${M.left}" y1="${y(p)}" x2="${M.left + PW}" y2="${y(p)}" stroke="#ddd"${dash}/>`);
    // 99% sits too close to 100% for two labels; its dashed line and the p99 markers say enough.
    if (p !== 0.99)
      out.push(`<text x="${M.left - 8}" y="${y(p) + 4}" text-anchor="end">${Math.round(p * 100)}%</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#999"/>`);
  out.push(
    `<text x="${M.left + PW / 2}" y="${M.top + PH + 40}" text-anchor="middle">ms after the create was acknowledged</text>`,
  );
  out.push(
    `<text transform="translate(16 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">share of objects seen</text>`,
  );
  return out;
}

/** A step CDF, with the p50 and p99 marked on the curve. */
function series(
  v: number[],
  color: string,
  x: (v: number) => number,
  y: (p: number) => number,
  i: number,
): string[] {
  if (v.length === 0) return [];
  const pts: string[] = [`${x(v[0] as number)},${y(0)}`];
  v.forEach((val, k) => {
    pts.push(`${x(val)},${y(k / v.length)}`, `${x(val)},${y((k + 1) / v.length)}`);
  });
  const out = [`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`];
  for (const p of [0.5, 0.99]) {
    const q = quantile(v, p);
    out.push(`<circle cx="${x(q)}" cy="${y(p)}" r="3.5" fill="${color}"/>`);
    const dy = i === 0 ? -8 : 16;
    const right = x(q) > M.left + PW * 0.8;
    const tx = right ? `x="${x(q) - 6}" text-anchor="end"` : `x="${x(q) + 6}"`;
    out.push(`<text ${tx} y="${y(p) + dy}" fill="${color}">p${p * 100} ${fmt(q)} ms</text>`);
  }
  return out;
}

function legend(input: ChartInput): string[] {
  return SERIES.flatMap((s, i) => {
    const x0 = M.left;
    const y0 = H - 40 + i * 20;
    const v = input[s.key];
    const label = s.key === 'floorMs' ? (input.floorLabel ?? s.label) : s.label;
    const stats = `p50 ${fmt(quantile(v, 0.5))} · p95 ${fmt(quantile(v, 0.95))} · p99 ${fmt(quantile(v, 0.99))} ms`;
    return [
      `<line x1="${x0}" y1="${y0 - 4}" x2="${x0 + 24}" y2="${y0 - 4}" stroke="${s.color}" stroke-width="3"/>`,
      `<text x="${x0 + 30}" y="${y0}">${esc(label)} (${stats})</text>`,
    ];
  });
}

function beyond(input: ChartInput, axis: Axis): string[] {
  const n = [...input.floorMs, ...input.latencyMs].filter((v) => v > axis.max).length;
  if (n === 0) return [];
  const max = Math.max(input.floorMs.at(-1) ?? 0, input.latencyMs.at(-1) ?? 0);
  const text = `${n} sample(s) beyond ${axis.max} ms drawn at the edge (max ${fmt(max)} ms)`;
  return [`<text x="${M.left + PW}" y="${M.top - 6}" text-anchor="end" fill="#555">${text}</text>`];
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
