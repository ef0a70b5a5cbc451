/** A stack as the engine would describe one catalog app (chat-sessions) to a stack policy. */
import { TYPES } from "../../../policies/rules/support";
import { type StackResourceInput, secret } from "../harness";

export interface AppStackOptions {
  app?: string;
  projectId?: unknown;
  password?: Record<string, unknown>;
  passwordType?: string;
  cronSecret?: Record<string, unknown> | null;
  crons?: Record<string, unknown> | null;
  /** `exact`: per-property dependencies (what the engine records); `coarse`: resource dependencies only; `none`: no links. */
  links?: "exact" | "coarse" | "none";
}

export function appStack(o: AppStackOptions = {}): StackResourceInput[] {
  const app = o.app ?? "chat-sessions";
  const links = o.links ?? "exact";
  const projectId = o.projectId ?? `prj_${app}`;
  const component = `${app}`;
  const project = `${app}-project`;
  const password = `${app}-cron-secret`;
  const out: StackResourceInput[] = [
    { type: TYPES.vercelApp, name: component, props: {} },
    { type: TYPES.project, name: project, parent: component, props: { name: app, framework: "nextjs" } },
    {
      type: o.passwordType ?? TYPES.randomPassword,
      name: password,
      parent: component,
      props: { length: 32, special: false, result: secret("x".repeat(32)), ...(o.password ?? {}) },
    },
  ];
  const link = (props: Record<string, string[]>, deps: string[]) =>
    links === "exact" ? { propertyDependencies: props, dependencies: deps } : links === "coarse" ? { dependencies: deps } : {};
  if (o.cronSecret !== null) {
    out.push({
      type: TYPES.envVar,
      name: `${app}-env-CRON_SECRET`,
      parent: component,
      props: { key: "CRON_SECRET", value: secret("x".repeat(32)), sensitive: true, targets: ["production", "preview"], projectId, ...(o.cronSecret ?? {}) },
      ...link({ projectId: [project], value: [password], key: [], sensitive: [], targets: [] }, [project, password]),
    });
  }
  out.push({
    type: TYPES.envVar,
    name: `${app}-env-SESSION_CLEANUP_THRESHOLD_HOURS`,
    parent: component,
    props: { key: "SESSION_CLEANUP_THRESHOLD_HOURS", value: "24", sensitive: false, targets: ["production", "preview", "development"], projectId },
    ...link({ projectId: [project], value: [], key: [], sensitive: [], targets: [] }, [project]),
  });
  if (o.crons !== null) {
    out.push({
      type: TYPES.projectCrons,
      name: `${app}-crons`,
      parent: component,
      props: { enabled: true, projectId, ...(o.crons ?? {}) },
      ...link({ projectId: [project], enabled: [] }, [project]),
    });
  }
  return out;
}
