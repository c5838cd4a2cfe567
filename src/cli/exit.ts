/**
 * Runs a command's entry point and sets the process exit code: the code `main` resolves to, or 1
 * after printing `<command>: fatal: <error>` when it throws.
 */
export function exitWith(command: string, main: Promise<number>): void {
  main.then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`${command}: fatal:`, err);
      process.exitCode = 1;
    },
  );
}
