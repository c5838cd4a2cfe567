/** Hostile inputs (issue 16): placeholder until this boundary's attacks land. */
export function celAndGlobAttacks(): void {
  // Filled in by the change that hardens this boundary.
}
