// Runs one method of a serialized dynamic provider the way Pulumi's dynamic-provider host does
// (@pulumi/pulumi cmd/dynamic-provider/index.js getProvider): requireFromString(text).handler(),
// then configure({config}) with the stack config, then the method. Plain node: no ts-node, no vitest.
// Input (stdin, JSON): { provider, config, method, args }. Output (stdout, JSON): { result } or { error }.
"use strict";
const requireFromString = require("require-from-string");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", async () => {
  const job = JSON.parse(input);
  try {
    const provider = requireFromString(job.provider).handler();
    if (provider.configure) {
      const config = job.config || {};
      await provider.configure({
        config: {
          get: (key) => config[key],
          require: (key) => {
            if (config[key] === undefined) throw new Error(`Missing required configuration key: ${key}`);
            return config[key];
          },
        },
      });
    }
    const result = await provider[job.method](...job.args);
    process.stdout.write(JSON.stringify({ result: result === undefined ? null : result, tsNode: !!require.extensions[".ts"], vitest: !!process.env.VITEST }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: { message: e.message, id: e.id, properties: e.properties, reasons: e.reasons } }));
  }
});
