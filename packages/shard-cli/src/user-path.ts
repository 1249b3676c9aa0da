// Where the user ran the command from, so relative paths mean what they typed, also through `pnpm shard`.
import path from 'node:path';

/**
 * The directory relative paths are resolved against. npm and pnpm run scripts from the package root and
 * record the caller's directory in INIT_CWD; we use it only while we still sit in that package root
 * (npm_package_json says where it is), so a script that `cd`s elsewhere before calling us is honoured.
 */
export function userCwd(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const init = env.INIT_CWD;
  if (!init || !path.isAbsolute(init)) return cwd;
  const pkg = env.npm_package_json;
  if (pkg && path.resolve(path.dirname(pkg)) !== path.resolve(cwd)) return cwd;
  return path.resolve(init);
}

/** An absolute path for what the user typed; messages show this, so the user sees the folder actually looked at. */
export function resolveUserPath(p: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return path.resolve(userCwd(env, cwd), p);
}
