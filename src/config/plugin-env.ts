import os from 'node:os';
import path from 'node:path';

/**
 * The kubeconfig file the `kubectl-tripline` plugin uses, resolved as kubectl does: the
 * `--kubeconfig` flag, else the first file listed in `$KUBECONFIG`, else `~/.kube/config`.
 * (kubectl merges every file of `$KUBECONFIG`; the plugin reads the first, which holds the current
 * context in the usual one-file setup.) Lives in config/ because this folder alone reads
 * `process.env` (STYLE, habit 6).
 */
export function pluginKubeconfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  const fromEnv = env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  if (fromEnv) return fromEnv;
  return path.join(env.HOME || os.homedir(), '.kube', 'config');
}
