/** Hostile inputs (issue 16): placeholder until this boundary's attacks land. */
export function listenerAttacks(): void {
  // Filled in by the change that hardens this boundary.
}
