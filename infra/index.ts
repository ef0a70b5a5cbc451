/**
 * The Pulumi program: stack config → typed config → app declarations → components → resources.
 * Loaded by the Pulumi Node host through the project's ts-node (`Pulumi.yaml`).
 */
import { loadPulumiStackConfig } from "./config";

const config = loadPulumiStackConfig();

/** What the stack manages, readable in `pulumi stack output` and in previews. */
export const stack = config.stack;
export const mode = config.mode;
export const apps = config.apps.map((a) => a.name);
export const phases = config.phases;
