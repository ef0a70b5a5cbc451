// @ts-check
/**
 * `npm run mutation` (test/mutation/run.ts): StrykerJS mutates the pure core, one group at a time,
 * and runs only the unit tests that import the group's modules (vitest.mutation.config.mts reads
 * `tests` below). Groups keep the cost of a static mutant (one that runs when a module loads, such
 * as a schema or a table; it needs every test of its run) to the few test files that matter.
 * ROLLOUT_MUTATION_GROUP names the group; without it, every module against every listed test.
 * Incremental: reports/stryker-incremental-<group>.json (reports/ is not in git) lets a rerun test
 * only mutants whose code or covering tests changed.
 */

/** @type {Record<string, { mutate: string[], tests: string[] }>} */
export const groups = {
  rollout: {
    mutate: ["infra/rollout/moves.ts", "infra/rollout/ladder.ts", "infra/sdk/bucketing.ts"],
    tests: [
      "test/rollout/moves.test.ts",
      "test/rollout/watch.test.ts",
      "test/rollout/bucketing.test.ts",
      "test/apps/catalog.test.ts",
      "test/sdk/live.test.ts",
      "test/rollout/live.test.ts",
    ],
  },
  migrations: {
    mutate: ["infra/supabase/migrations/plan.ts", "infra/supabase/migrations/split.ts"],
    tests: ["test/supabase/plan.test.ts", "test/supabase/split.test.ts", "test/supabase/parse-gate.test.ts"],
  },
  vercel: {
    mutate: ["infra/vercel/env-plan.ts"],
    tests: ["test/vercel/env-plan.test.ts", "test/vercel/live-plan.test.ts"],
  },
  config: {
    mutate: ["infra/config.ts", "infra/stack-file.ts"],
    tests: [
      "test/config.test.ts",
      "test/stack-file.test.ts",
      "test/vercel/env-plan.test.ts",
      "test/vercel/live-plan.test.ts",
      "test/rollout/live.test.ts",
      "test/model/diff.test.ts",
      "test/plan/report.test.ts",
      "test/plan/markdown.test.ts",
    ],
  },
};

const name = process.env.ROLLOUT_MUTATION_GROUP;
if (name !== undefined && !(name in groups)) throw new Error(`ROLLOUT_MUTATION_GROUP=${name}: no such group (${Object.keys(groups).join(", ")})`);
const group = name === undefined ? undefined : groups[name];
const tag = name ?? "all";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  packageManager: "npm",
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.mts" },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.mutation.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: "perTest",
  // A static mutant (in code that runs while a module loads: a constant table, a regex, a schema) needs
  // every test of its group, once per mutant: 18% of the mutants, over three quarters of the time.
  // They are reported as ignored (the table's "static" column), not counted in the score.
  ignoreStatic: true,
  mutate: group ? group.mutate : Object.values(groups).flatMap((g) => g.mutate),
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${tag}.json`,
  reporters: ["progress", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${tag}.html` },
  jsonReporter: { fileName: `reports/mutation/${tag}.json` },
  concurrency: 2,
  // The sandbox copy leaves out `npm run local`'s Postgres cluster (.local/, ~100 MB; no unit test reads it).
  ignorePatterns: [".local"],
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
export default config;

/**
 * Survivors no test can kill because the program behaves the same with them (test/mutation/scores.ts
 * leaves them out of the score). Each: the module, Stryker's mutator name, the source it replaces,
 * the replacement, and why nothing observable changes. An entry that no longer survives fails the run.
 * @type {import('./test/mutation/scores').EquivalentMutant[]}
 */
export const equivalentMutants = [
  { file: "infra/supabase/migrations/plan.ts", mutator: "EqualityOperator", original: "compareVersions(version, newestApplied) < 0", replacement: "compareVersions(version, newestApplied) <= 0", reason: "a version equal to the newest applied has a ledger row and was handled above; equality never reaches this comparison" },
  { file: "infra/supabase/migrations/plan.ts", mutator: "ConditionalExpression", original: "statements.length === recorded.length && statements.every((s, i) => s === recorded[i])", replacement: "false", reason: "an exact-match shortcut: equal lists also normalise equal, so the normalised comparison gives the same answer" },
  { file: "infra/supabase/migrations/plan.ts", mutator: "ArrowFunction", original: "(s, i) => s === recorded[i]", replacement: "() => undefined", reason: "disables the exact-match shortcut only; the normalised comparison decides the same" },
  { file: "infra/supabase/migrations/plan.ts", mutator: "ConditionalExpression", original: "s === recorded[i]", replacement: "false", reason: "disables the exact-match shortcut only; the normalised comparison decides the same" },
  { file: "infra/supabase/migrations/plan.ts", mutator: "StringLiteral", original: "\"\"", replacement: "\"Stryker was here!\"", line: "...at(content[1] ?? content[0] ?? { offset: 0, text: \"\" }),", reason: "at() reads only the fallback statement's offset, never its text" },
  { file: "infra/supabase/migrations/split.ts", mutator: "ConditionalExpression", original: "offset < d.start", replacement: "false", reason: "a window reaching before the token takes in the previous token's closing ';' (or stops at 0), so it never equals the keyword" },
  { file: "infra/supabase/migrations/split.ts", mutator: "ConditionalExpression", original: "end > d.start", replacement: "true", reason: "the character before a token is the previous token's ';' or nothing, never whitespace, so the walk back stops at d.start anyway" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "end > d.start", replacement: "end >= d.start", reason: "text[d.start - 1] is ';' or undefined, never whitespace" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "j < to", replacement: "j <= to", reason: "one more window at j = to only matters for a comment reaching `to`; then i >= to and the scan returns true either way" },
  { file: "infra/supabase/migrations/split.ts", mutator: "ConditionalExpression", original: "from >= d.start", replacement: "true", reason: "a dollar-quoted body starts after its opening delimiter inside the token, so from is always > d.start" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "from >= d.start", replacement: "from > d.start", reason: "from is always > d.start (above)" },
  { file: "infra/supabase/migrations/split.ts", mutator: "BlockStatement", original: "{\n        this.statementHasContent = true;\n      }", replacement: "{}", reason: "a cache only: a later END in the same inner statement rescans the same range and finds the same content" },
  { file: "infra/supabase/migrations/split.ts", mutator: "BooleanLiteral", original: "true", replacement: "false", line: "this.statementHasContent = true;", reason: "the same cache; the rescan gives the same answer" },
  { file: "infra/supabase/migrations/split.ts", mutator: "ConditionalExpression", original: "code > 0x20 && code < 0x80", replacement: "false", reason: "a fast path only: printable ASCII falls through the switch and the regex to false anyway" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "code < 0x80", replacement: "code <= 0x80", reason: "(two places: isGoSpace, isWordChar) U+0080 is neither Go whitespace nor a word character on either path" },
  { file: "infra/supabase/migrations/split.ts", mutator: "ConditionalExpression", original: "end > 0", replacement: "true", reason: "at end = 0, token.text[-1] is undefined, not ';', so the loop stops anyway" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "end > 0", replacement: "end >= 0", reason: "undefined !== ';' (above)" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "begin < end", replacement: "begin <= end", reason: "begin reaches end only when end is 0 (trailing spaces trimmed); the extra step makes begin > end and the piece is dropped either way" },
  { file: "infra/supabase/migrations/split.ts", mutator: "ConditionalExpression", original: "code < 0x80", replacement: "false", reason: "ASCII through the word-character regex /[\\p{L}\\p{N}_$]/u answers as the ASCII range check does" },
  { file: "infra/supabase/migrations/split.ts", mutator: "BooleanLiteral", original: "false", replacement: "true", line: "let pendingSpace = false;", reason: "with nothing written yet, last is \"\", no word character, so no space is added" },
  { file: "infra/supabase/migrations/split.ts", mutator: "StringLiteral", original: "\"\"", replacement: "\"Stryker was here!\"", line: "let last = \"\";", reason: "last is read only once something has been written, which sets it" },
  { file: "infra/supabase/migrations/split.ts", mutator: "ConditionalExpression", original: "out.length > 0", replacement: "true", reason: "whitespace before any output: last is \"\", no word character, so no space is added" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "out.length > 0", replacement: "out.length >= 0", reason: "the same as -> true (above)" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "i < n", replacement: "i <= n", reason: "(two loops in firstTokenAt) at i = n nothing matches, so n is returned either way" },
  { file: "infra/supabase/migrations/split.ts", mutator: "EqualityOperator", original: "nl < 0", replacement: "nl <= 0", reason: "nl is -1 or at least i + 2 (the text has '--' at i), never 0" },
  { file: "infra/stack-file.ts", mutator: "ConditionalExpression", original: "typeof v === \"string\"", replacement: "false", reason: "a string scalar's source is the string itself, so the source fallback below returns the same value" },
  { file: "infra/stack-file.ts", mutator: "StringLiteral", original: "\"error\"", replacement: "\"\"", reason: "every error the open, stat and read of a file throw is Node's, with a code; the fallback names an error they cannot throw" },
  { file: "infra/stack-file.ts", mutator: "EqualityOperator", original: "k.range[0] <= offset", replacement: "k.range[0] < offset", reason: "a key starting at the error offset is on the error's line, which the onLine test before it already takes" },
  { file: "infra/stack-file.ts", mutator: "EqualityOperator", original: "i < offset", replacement: "i <= offset", line: "for (let i = 0; i < offset; i++) {", reason: "bytes[offset] is the byte that is not UTF-8, never a newline (0x0a is valid UTF-8), so counting it changes no line" },
  { file: "infra/vercel/env-plan.ts", mutator: "StringLiteral", original: "\"?\"", replacement: "\"\"", reason: "an edgeConfig value is only ever planned with a live origin, so the \"?\" fallback is never printed" },
  { file: "infra/vercel/env-plan.ts", mutator: "ArrayDeclaration", original: "[\"preview\"]", replacement: "[]", reason: "takeImport reads the targets of the main slot only; the preview slot's import name is always KEY.preview" },
  { file: "infra/vercel/env-plan.ts", mutator: "ArrayDeclaration", original: "[\"development\"]", replacement: "[]", reason: "takeImport reads the targets of the main slot only; the development slot's import name is always KEY.development" },
  { file: "infra/rollout/moves.ts", mutator: "ArrayDeclaration", original: "[]", replacement: "[\"Stryker was here\"]", line: ": (feature.shortcuts ?? []).some(([a, b]) => a === from.name && b === to.name)", reason: "destructured as a shortcut it is [\"S\", \"t\"], and no rung is named S or t (rung names are lower case)" },
  { file: "infra/rollout/moves.ts", mutator: "EqualityOperator", original: "to.index > from.index", replacement: "to.index >= from.index", reason: "equal indexes were already classified as a stay, three conditions earlier" },
  { file: "infra/sdk/bucketing.ts", mutator: "ConditionalExpression", original: "i + 1 < text.length", replacement: "true", reason: "past the end, charCodeAt gives NaN, which fails the low-surrogate test: a final high surrogate still becomes U+FFFD" },
  { file: "infra/sdk/bucketing.ts", mutator: "EqualityOperator", original: "i + 1 < text.length", replacement: "i + 1 <= text.length", reason: "the one extra index is past the end, where charCodeAt gives NaN and the result is U+FFFD as before" },
  { file: "infra/sdk/bucketing.ts", mutator: "ArithmeticOperator", original: "i + 1", replacement: "i - 1", reason: "i - 1 < text.length always holds, the same as the guard being true (above)" },
  { file: "infra/sdk/bucketing.ts", mutator: "ArithmeticOperator", original: "cp - 0xd800", replacement: "cp + 0xd800", reason: "adds 0x6C00000: those bits reach only the lead byte's bits the 0xf0 mask already sets or the Uint8Array drops" },
  { file: "infra/sdk/bucketing.ts", mutator: "ConditionalExpression", original: "rest > 0", replacement: "true", reason: "with no tail bytes k stays 0, scramble(0) is 0, and h ^= 0 changes nothing" },
  { file: "infra/sdk/bucketing.ts", mutator: "EqualityOperator", original: "rest > 0", replacement: "rest >= 0", reason: "the extra case, no tail bytes, XORs scramble(0) = 0" },
  { file: "infra/sdk/bucketing.ts", mutator: "ConditionalExpression", original: "rest === 3", replacement: "true", reason: "with 1 or 2 tail bytes, bytes[blocks + 2] is past the end: undefined << 16 is 0" },
  { file: "infra/sdk/bucketing.ts", mutator: "ConditionalExpression", original: "rest >= 2", replacement: "true", reason: "with 1 tail byte, bytes[blocks + 1] is past the end: undefined << 8 is 0" },
  { file: "infra/sdk/bucketing.ts", mutator: "ConditionalExpression", original: "parsed.percent >= 100", replacement: "false", reason: "a bucket is 1..100, so at 100 the bucket <= percent test that follows is true anyway (the check only skips hashing)" },
  { file: "infra/sdk/bucketing.ts", mutator: "EqualityOperator", original: "parsed.percent >= 100", replacement: "parsed.percent > 100", reason: "parseShare caps the percent at 100, and at 100 bucket <= 100 always holds" },
  { file: "infra/sdk/bucketing.ts", mutator: "ArrayDeclaration", original: "[]", replacement: "[\"Stryker was here\"]", line: "const mine = options.cohorts ?? [];", reason: "cohort names match /^[a-z][a-z0-9-]*$/, so \"Stryker was here\" can never be one a share names" },
  { file: "infra/sdk/bucketing.ts", mutator: "ConditionalExpression", original: "parsed.percent > 0", replacement: "true", reason: "a bucket is at least 1, so bucket <= 0 is false anyway (the check only skips hashing)" },
  { file: "infra/sdk/bucketing.ts", mutator: "EqualityOperator", original: "parsed.percent > 0", replacement: "parsed.percent >= 0", reason: "at 0, bucket <= 0 is false anyway: a bucket is at least 1" },
];
