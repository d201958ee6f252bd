// Reads a GGUF file with Hugging Face's independent JavaScript parser (@huggingface/gguf from the npm assets)
// and prints its view as JSON, for gguf_test's cross-check of our writer.
// Usage: node gguf_hf_reference.mjs ASSET_DIR FILE
import { createRequire } from "node:module";
import path from "node:path";

const [assetDir, file] = process.argv.slice(2);
const require = createRequire(path.join(assetDir, "package.json"));
const { gguf } = require("@huggingface/gguf");

const { metadata, tensorInfos } = await gguf(path.resolve(file), { allowLocalFile: true });
const plain = (value) => (typeof value === "bigint" ? Number(value) : value);
const out = { metadata: {}, tensors: [] };
for (const [key, value] of Object.entries(metadata)) {
  if (key === "version" || key === "tensor_count" || key === "kv_count") continue;
  out.metadata[key] = Array.isArray(value) ? value.map(plain) : plain(value);
}
out.version = plain(metadata.version);
for (const info of tensorInfos) {
  out.tensors.push({ name: info.name, shape: info.shape.map(plain), dtype: info.dtype, offset: plain(info.offset) });
}
process.stdout.write(JSON.stringify(out));
