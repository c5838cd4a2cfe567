/**
 * Waits until `cond` holds, checking after every turn of the event loop; fails with `what` if it
 * does not within `limitMs`. A bound on waiting, never a timing assertion: the tests that use it
 * assert what happened, not how fast.
 */
export async function eventually(cond: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
