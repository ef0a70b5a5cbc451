/**
 * Who runs a command, for records that outlive it (a kill written to Edge Config): `ROLLOUT_ACTOR`,
 * else `GITHUB_ACTOR` (in a workflow), else the git user's email, else the login name.
 */
import { execFileSync } from "child_process";
import * as os from "os";

export function actorOf(env: NodeJS.ProcessEnv, root: string): string {
  if (env.ROLLOUT_ACTOR?.trim()) return env.ROLLOUT_ACTOR.trim();
  if (env.GITHUB_ACTOR?.trim()) return `${env.GITHUB_ACTOR.trim()} (GitHub Actions)`;
  try {
    const email = execFileSync("git", ["config", "user.email"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (email) return email;
  } catch {
    // not a repository, or no user configured
  }
  return env.USER || os.userInfo().username;
}
