// llama.cpp side by side with bench/inference_bench.cc: the prebuilt CPU build shipped in the npm package
// node-llama-cpp runs the same generated GGUF with the same prompt length, decode length and thread count.
// Usage: node llama_cpp_reference.mjs MODEL.gguf CASE THREADS PROMPT_TOKENS DECODE_TOKENS VOCAB_SIZE
// Prints JSON result lines like inference_bench ({"bench":"inference","case":"m130/f16/llama.cpp",...}).
import {getLlama} from "node-llama-cpp";

const [modelPath, caseName, threadsText, promptText, decodeText, vocabText] = process.argv.slice(2);
const threads = Number(threadsText), promptTokens = Number(promptText), decodeTokens = Number(decodeText);
const vocab = Number(vocabText);

function emit(metric, value, unit) {
  console.log(JSON.stringify({bench: "inference", case: `${caseName}/llama.cpp`, metric, value, unit}));
}

const llama = await getLlama({gpu: false, maxThreads: threads, logLevel: "error"});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
let bestPrefill = 0, bestDecode = 0;
for (let rep = 0; rep < 2; ++rep) {
  const context = await model.createContext({contextSize: 1024, batchSize: 512, threads});
  const sequence = context.getSequence();
  let seed = 1;
  const prompt = Array.from({length: promptTokens}, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 3 + (seed % (vocab - 3));
  });
  let start = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(prompt);
  bestPrefill = Math.max(bestPrefill, promptTokens / ((performance.now() - start) / 1000));
  start = performance.now();
  let generated = 0;
  for await (const token of sequence.evaluate([prompt[prompt.length - 1]], {temperature: 0})) {
    if (++generated >= decodeTokens) break;
  }
  bestDecode = Math.max(bestDecode, generated / ((performance.now() - start) / 1000));
  await context.dispose();
}
emit("prefill_tok_per_s", bestPrefill, "1/s");
emit("decode_tok_per_s", bestDecode, "1/s");
await model.dispose();
await llama.dispose();
