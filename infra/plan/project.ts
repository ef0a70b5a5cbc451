/**
 * A tree's `Pulumi.yaml`: the project name, the program's entry point and where stack files live.
 * Read by the plan's parent (to find the stack file) and by its render child (to load the program).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { listStacks as listStackFiles, stackFileRel as relativeStackFile } from "../stack-file";

export interface ProjectFile {
  name: string;
  /** The program, relative to the tree (`main`; Pulumi's default is the project directory). */
  main: string;
  /** Directory of `Pulumi.<stack>.yaml`, relative to the tree (`stackConfigDir`). */
  stackConfigDir: string;
}

/** The tree's project file cannot be used. */
export class ProjectFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProjectFileError";
  }
}

/** Reads `<root>/Pulumi.yaml`; undefined when there is none (a commit before the project existed). */
export function readProjectFile(root: string): ProjectFile | undefined {
  const file = path.join(root, "Pulumi.yaml");
  if (!fs.existsSync(file)) return undefined;
  let doc: { name?: unknown; main?: unknown; stackConfigDir?: unknown };
  try {
    doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as typeof doc;
  } catch (e) {
    throw new ProjectFileError(`Pulumi.yaml is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (typeof doc.name !== "string" || !doc.name) throw new ProjectFileError("Pulumi.yaml has no project name (`name:`)");
  return {
    name: doc.name,
    main: typeof doc.main === "string" ? doc.main : ".",
    stackConfigDir: typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : ".",
  };
}

/** The stack file's path relative to the tree, with `/` separators: `stacks/Pulumi.prod.yaml`. */
export function stackFileRel(project: ProjectFile, stack: string): string {
  return relativeStackFile(stack, project.stackConfigDir);
}

/** Stack names that have a file in the tree (for "did you mean" messages). */
export function listStacks(root: string, project: ProjectFile): string[] {
  return listStackFiles(path.join(root, project.stackConfigDir));
}
