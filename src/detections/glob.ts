/** A compiled shell-style glob: `test` answers whether a whole string matches. */
export interface Glob {
  readonly source: string;
  test(s: string): boolean;
}

/**
 * Compiles a shell-style glob (`*` any run of characters, `?` one character, everything else
 * literal) into a matcher that runs in O(|s|·|glob|) time at worst and without recursion.
 *
 * Globs used to become regular expressions (`*` → `.*`), and V8's backtracking engine takes
 * exponential time on patterns like `*-*-*-*-*-x` against a long name of dashes (seconds for a
 * 253-character name, on the event loop). Names and namespaces are tenant-written, so matching
 * must not depend on how they are spelled (ADR 0014).
 */
export function compileGlob(glob: string): Glob {
  // Consecutive stars match what one star does; collapsing them keeps the loop below simple.
  const pattern = glob.replace(/\*{2,}/g, '*');
  if (!/[*?]/.test(pattern)) return { source: glob, test: (s) => s === pattern };
  return { source: glob, test: (s) => matchGlob(pattern, s) };
}

/**
 * The classic two-pointer wildcard match: on a mismatch, the last `*` takes one more character
 * and matching resumes after it. Only the last star is ever revisited, which bounds the work by
 * |s|·|pattern| (no exponential backtracking). Indices count UTF-16 code units, as the regular
 * expressions did, so `?` against a character outside the BMP behaves as before.
 */
function matchGlob(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let resume = 0;
  while (i < s.length) {
    const c = pattern[p];
    if (c === '?' || (c !== undefined && c !== '*' && c === s[i])) {
      p++;
      i++;
    } else if (c === '*') {
      star = p++;
      resume = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
