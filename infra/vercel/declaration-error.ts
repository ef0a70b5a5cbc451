/** A catalog declaration that cannot become valid Vercel resources (a code bug, not a config mistake). */
export class AppDeclarationError extends Error {
  constructor(
    readonly app: string,
    readonly problems: string[],
    /** What is wrong, after `app "<name>"`. */
    headline = "cannot be planned for Vercel",
  ) {
    super(`app "${app}" ${headline}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "AppDeclarationError";
  }
}
