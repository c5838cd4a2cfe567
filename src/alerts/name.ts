import { createHash } from 'node:crypto';

/** Longest object name the API server accepts (a DNS subdomain). */
const MAX_NAME = 253;
/** Hex digits of the hash kept in the name. */
const HASH_LENGTH = 10;

/**
 * Deterministic AuditAlert name: `<detection>-<first 10 hex of sha256(detection/uid[/changeKey])>`.
 *
 * The same (detection, subject, change) always yields the same name, so a second create answers 409
 * and "already raised" needs no lookup. The detection part is cut so the whole name stays a valid
 * DNS subdomain of at most 253 characters; the hash always covers the full, uncut detection name.
 */
export function alertName(detection: string, uid: string, changeKey?: string): string {
  const key = changeKey === undefined ? `${detection}/${uid}` : `${detection}/${uid}/${changeKey}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, HASH_LENGTH);
  const prefix = dnsPrefix(detection, MAX_NAME - HASH_LENGTH - 1);
  return prefix ? `${prefix}-${hash}` : `alert-${hash}`;
}

/**
 * The longest prefix of `value` that is a valid DNS subdomain of at most `max` characters. Detection
 * names already are DNS subdomains; this only guards against odd input and over-long names.
 */
function dnsPrefix(value: string, max: number): string {
  const labels = value
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .split('.')
    .map((label) => label.replace(/^-+|-+$/g, ''))
    .filter((label) => label.length > 0);
  let out = labels.join('.').slice(0, max);
  // Cutting may leave a trailing '-' or '.', which a subdomain must not end with.
  out = out.replace(/[-.]+$/, '');
  return out;
}
