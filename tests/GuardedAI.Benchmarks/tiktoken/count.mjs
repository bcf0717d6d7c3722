// Counts o200k_base tokens of each file given with npm `tiktoken` (OpenAI's tokenizer compiled to WASM) and prints,
// per file, "TIKTOKEN <bytes> <tokens> <ns per count>" (the median of several timed rounds).
// Usage: node count.mjs <node_modules dir> <file>...
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [modules, ...files] = process.argv.slice(2);
const require = createRequire(path.join(modules, "index.js"));
const { get_encoding } = require("tiktoken");
const enc = get_encoding("o200k_base");
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const count = () => enc.encode_ordinary(text).length;
  const tokens = count();
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) count();
    if (Number(process.hrtime.bigint() - t0) > 20e6) break;
    n *= 2;
  }
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) count();
    rounds.push(Number(process.hrtime.bigint() - t0) / n);
  }
  rounds.sort((a, b) => a - b);
  console.log(`TIKTOKEN ${Buffer.byteLength(text)} ${tokens} ${rounds[3]}`);
}
enc.free();
