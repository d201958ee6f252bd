// Reference for mcp_bench: the official MCP TypeScript SDK client calling server-everything's echo tool over
// stdio and streamable HTTP, the same calls mcp_bench makes with Catena's C++ client.
// Usage: node mcp_sdk_reference.mjs <asset_dir> <server_script> <calls> <http_url>
// Prints one JSON object: {"stdio":[ms...],"http":[ms...]} (per-call latencies after warm-up).
import path from "node:path";
import { pathToFileURL } from "node:url";

const [assetDir, serverScript, callsText, httpUrl] = process.argv.slice(2);
const calls = Number(callsText);
const sdk = (rel) => import(pathToFileURL(path.join(assetDir, "node_modules/@modelcontextprotocol/sdk/dist/esm", rel)).href);
const { Client } = await sdk("client/index.js");
const { StdioClientTransport } = await sdk("client/stdio.js");
const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");

async function timeEcho(transport) {
  const client = new Client({ name: "catena-bench-reference", version: "1.0.0" });
  await client.connect(transport);
  const latencies = [];
  for (let i = 0; i < calls + 20; i++) {
    const started = process.hrtime.bigint();
    const result = await client.callTool({ name: "echo", arguments: { message: `ping ${i}` } });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.content[0].text !== `Echo: ping ${i}`) throw new Error(`unexpected echo: ${JSON.stringify(result)}`);
    if (i >= 20) latencies.push(elapsed);
  }
  await client.close();
  return latencies;
}

const stdio = await timeEcho(new StdioClientTransport({ command: process.execPath, args: [serverScript, "stdio"], stderr: "ignore" }));
const http = httpUrl ? await timeEcho(new StreamableHTTPClientTransport(new URL(httpUrl))) : [];
console.log(JSON.stringify({ stdio, http }));
