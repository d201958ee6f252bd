// Manual cross-check with the real llama.cpp (not run by CI: its npm package with prebuilt binaries is ~700 MB).
// Loads GGUF files with node-llama-cpp, tokenizes a prompt and compares each model's next-token distribution
// with the first one's: correlation of log-probabilities (= logits up to a constant) and KL divergence.
// Setup: mkdir /tmp/nlc && cd /tmp/nlc && npm i -E node-llama-cpp@3.21.1
// Usage: node llama_cpp_check.mjs /tmp/nlc BASE.gguf OTHER.gguf...
import { createRequire } from "node:module";
import path from "node:path";

const [moduleDir, ...files] = process.argv.slice(2);
const require = createRequire(path.join(moduleDir, "package.json"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));
const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });

async function nextTokenLogProbs(file) {
  const model = await llama.loadModel({ modelPath: path.resolve(file) });
  const tokens = model.tokenize("Hello world, catena!");
  const context = await model.createContext({ contextSize: 64 });
  const sampling = { temperature: 1, topK: 0, topP: 1, minP: 0 };
  const input = tokens.map((t, i) => (i + 1 < tokens.length ? t : [t, { generateNext: { probabilities: true, options: sampling } }]));
  const output = await context.getSequence().controlledEvaluate(input);
  const probabilities = output[tokens.length - 1].next.probabilities;
  const logProbs = new Float64Array(model.tokens.vocabularySize ?? probabilities.size);
  logProbs.fill(Math.log(1e-30));
  for (const [token, p] of probabilities) logProbs[token] = Math.log(Math.max(p, 1e-30));
  await context.dispose();
  await model.dispose();
  return { tokens, logProbs };
}

function compare(a, b) {
  const n = Math.min(a.length, b.length);
  let meanA = 0, meanB = 0;
  for (let i = 0; i < n; ++i) meanA += a[i], meanB += b[i];
  meanA /= n, meanB /= n;
  let cross = 0, varA = 0, varB = 0, kl = 0;
  for (let i = 0; i < n; ++i) {
    const x = a[i] - meanA, y = b[i] - meanB;
    cross += x * y, varA += x * x, varB += y * y;
    kl += Math.exp(a[i]) * (a[i] - b[i]);
  }
  return { correlation: cross / Math.sqrt(varA * varB), kl };
}

const base = await nextTokenLogProbs(files[0]);
console.log(`${files[0]}: prompt tokens ${JSON.stringify(base.tokens)}`);
for (const file of files.slice(1)) {
  const other = await nextTokenLogProbs(file);
  const { correlation, kl } = compare(base.logProbs, other.logProbs);
  console.log(`${file}: tokens ${JSON.stringify(other.tokens)} logit correlation ${correlation.toFixed(4)} KL ${kl.toFixed(5)}`);
}
