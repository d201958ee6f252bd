// The official `openai` npm client, unchanged, against catenad's OpenAI-compatible gateway: chat completions
// over the test models and over deployed pipelines (whole and streamed), text completions, tool calls and their
// round trip, response_format, embeddings (base64 by default and float), the model list, and OpenAI-shaped errors.
// Starts its own catenad on free ports. Usage: node openai_client_test.mjs CATENAD_PATH (or CATENAD=... node --test
// openai_client_test.mjs); the client is imported from $CATENA_ASSET_DIR/node_modules/openai.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

const assetDir = process.env.CATENA_ASSET_DIR || join(homedir(), '.cache/catena/assets');
const { default: OpenAI } = await import(pathToFileURL(join(assetDir, 'node_modules/openai/index.mjs')).href);
const catenadPath = process.env.CATENAD || process.argv[2];

const QA_PIPELINE = `apiVersion: catena/v1
kind: Pipeline
metadata: {name: qa, description: answers one question with the test model}
inputs:
  question: {type: string, required: true}
nodes:
  answer:
    type: llm.chat
    with: {model: test, system: "Answer briefly.", prompt: "{{ inputs.question }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
`;

const CONVERSATION_PIPELINE = `apiVersion: catena/v1
kind: Pipeline
metadata: {name: conversation}
inputs:
  messages: {type: list, required: true}
nodes:
  reply:
    type: llm.chat
    with: {model: test-echo, messages: "{{ inputs.messages }}"}
  count:
    type: transform
    with: {n: "{{ inputs.messages | length }}"}
outputs:
  text: "{{ nodes.reply.text }}"
  turns: "{{ nodes.count.n }}"
`;

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const CALL_TEXT = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>';

let server;
let client;
let dataDir;

async function startCatenad() {
  dataDir = mkdtempSync(join(tmpdir(), 'catenad-openai-'));
  const pipelines = join(dataDir, 'pipelines-src');
  mkdirSync(pipelines);
  writeFileSync(join(pipelines, 'qa.yaml'), QA_PIPELINE);
  writeFileSync(join(pipelines, 'conversation.yaml'), CONVERSATION_PIPELINE);
  const child = spawn(catenadPath, ['--grpc-port', '0', '--http-port', '0', '--data-dir', join(dataDir, 'data'),
    '--log-level', 'warn', '--set', 'pipelines.test_models=true', '--set', `pipelines.dir=${pipelines}`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const http = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('catenad printed no ready line within 30 s')), 30000);
    child.on('exit', (code) => reject(new Error(`catenad exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      const match = /ready: grpc=(\S+) http=(\S+) /.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[2]);
      }
    });
  });
  return { child, http };
}

before(async () => {
  assert.ok(catenadPath, 'pass the catenad path as the first argument or in CATENAD');
  server = await startCatenad();
  client = new OpenAI({ apiKey: 'unused', baseURL: `http://${server.http}/v1`, maxRetries: 0, timeout: 30000 });
});

after(async () => {
  if (server && server.child.exitCode === null) {
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function collect(stream) {
  const out = { content: '', chunks: [], finish: null, usage: null, toolCalls: [] };
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    if (chunk.usage) out.usage = chunk.usage;
    for (const choice of chunk.choices) {
      out.content += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) out.toolCalls.push(call);
      if (choice.finish_reason) out.finish = choice.finish_reason;
    }
  }
  return out;
}

test('models.list names the deployed pipelines, the test models and the embedders', async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  for (const id of ['qa', 'conversation', 'test', 'test-echo', 'test-json', 'hashing-384']) {
    assert.ok(ids.includes(id), `${id} missing from ${ids.join(', ')}`);
  }
  const qa = await client.models.retrieve('qa');
  assert.equal(qa.object, 'model');
  assert.equal(qa.owned_by, 'catena-pipeline');
});

test('a whole chat completion echoes the last user message with usage', async () => {
  const completion = await client.chat.completions.create({
    model: 'test',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello there' }],
    max_tokens: 50,
  });
  assert.equal(completion.object, 'chat.completion');
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.choices.length, 1);
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.equal(completion.choices[0].message.content, 'echo: hello there');
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.equal(completion.usage.completion_tokens, 3);
  assert.equal(completion.usage.prompt_tokens, 4);
  assert.equal(completion.usage.total_tokens, 7);
});

test('a streamed chat completion sends the role first, content deltas, the finish reason and usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'test',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'stream ' }, { type: 'text', text: 'these words' }] }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const out = await collect(stream);
  assert.equal(out.content, 'echo: stream these words');
  assert.equal(out.chunks[0].choices[0].delta.role, 'assistant');
  assert.ok(out.chunks.filter((c) => c.choices[0]?.delta?.content).length >= 4, 'content arrives in pieces');
  assert.equal(out.finish, 'stop');
  assert.equal(out.usage.completion_tokens, 4);
  assert.equal(out.chunks.at(-1).choices.length, 0, 'the usage chunk comes last and has no choices');
  for (const chunk of out.chunks) assert.equal(chunk.object, 'chat.completion.chunk');
});

test('max_tokens cuts the answer and reports finish_reason length', async () => {
  const completion = await client.chat.completions.create({
    model: 'test', messages: [{ role: 'user', content: 'one two three four' }], max_completion_tokens: 2,
  });
  assert.equal(completion.choices[0].message.content, 'echo: one');
  assert.equal(completion.choices[0].finish_reason, 'length');
});

test('n asks for several choices, each with its index', async () => {
  const completion = await client.chat.completions.create({
    model: 'test', messages: [{ role: 'user', content: 'one two' }], n: 2,
  });
  assert.deepEqual(completion.choices.map((c) => [c.index, c.message.content]),
    [[0, 'echo: one two'], [1, 'echo: one two']]);
  assert.equal(completion.usage.completion_tokens, 6);
});

test('a text completion (completions.create) sends the prompt raw, whole and streamed', async () => {
  const whole = await client.completions.create({ model: 'test', prompt: 'Once upon a time', max_tokens: 50 });
  assert.equal(whole.object, 'text_completion');
  assert.match(whole.id, /^cmpl-/);
  assert.equal(whole.choices.length, 1);
  assert.equal(whole.choices[0].text, 'echo: Once upon a time');
  assert.equal(whole.choices[0].finish_reason, 'stop');
  assert.equal(whole.usage.completion_tokens, 5);
  // OpenAI's default for completions is 16 tokens; the test model's tokens are words.
  const long = await client.completions.create({ model: 'test', prompt: Array(30).fill('w').join(' ') });
  assert.equal(long.usage.completion_tokens, 16);
  assert.equal(long.choices[0].finish_reason, 'length');

  const stream = await client.completions.create({
    model: 'test', prompt: 'stream these words', stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    for (const choice of chunk.choices) {
      text += choice.text;
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  assert.equal(text, 'echo: stream these words');
  assert.equal(finish, 'stop');
  assert.ok(chunks.filter((c) => c.choices[0]?.text).length >= 4, 'text arrives in pieces');
  assert.equal(chunks.at(-1).choices.length, 0, 'the usage chunk comes last and has no choices');
  assert.equal(chunks.at(-1).usage.completion_tokens, 4);
  for (const chunk of chunks) assert.equal(chunk.object, 'text_completion');

  await assert.rejects(client.completions.create({ model: 'test', prompt: 'x', echo: true }),
    (error) => error.status === 400 && error.param === 'echo');
});

test('a pipeline answers as a model, whole and streamed', async () => {
  const whole = await client.chat.completions.create({
    model: 'qa', messages: [{ role: 'user', content: 'what is rag?' }],
  });
  assert.equal(whole.choices[0].message.content, 'echo: what is rag?');
  assert.equal(whole.model, 'qa');
  const out = await collect(await client.chat.completions.create({
    model: 'qa', messages: [{ role: 'user', content: 'what is rag?' }], stream: true,
  }));
  assert.equal(out.content, 'echo: what is rag?');
  assert.equal(out.finish, 'stop');
});

test('a pipeline with a messages input gets the whole conversation', async () => {
  const completion = await client.chat.completions.create({
    model: 'conversation',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'second question' },
    ],
  });
  assert.equal(completion.choices[0].message.content, 'echo: second question');
});

test('tool calls come back as tool_calls and the conversation continues with the tool result', async () => {
  const completion = await client.chat.completions.create({
    model: 'test', messages: [{ role: 'user', content: CALL_TEXT }], tools: [WEATHER_TOOL], tool_choice: 'auto',
  });
  const choice = completion.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.tool_calls.length, 1);
  const call = choice.message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  const next = await client.chat.completions.create({
    model: 'test',
    tools: [WEATHER_TOOL],
    messages: [
      { role: 'user', content: CALL_TEXT },
      choice.message,
      { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
      { role: 'user', content: 'thanks' },
    ],
  });
  assert.equal(next.choices[0].message.content, 'echo: thanks');
  assert.equal(next.choices[0].finish_reason, 'stop');
});

test('streamed tool calls arrive as tool_calls deltas without the call markup in the content', async () => {
  const out = await collect(await client.chat.completions.create({
    model: 'test', messages: [{ role: 'user', content: CALL_TEXT }], tools: [WEATHER_TOOL], stream: true,
  }));
  assert.equal(out.finish, 'tool_calls');
  assert.equal(out.toolCalls.length, 1);
  assert.equal(out.toolCalls[0].index, 0);
  assert.equal(out.toolCalls[0].function.name, 'get_weather');
  assert.ok(!out.content.includes('tool_call'), `content leaked markup: ${out.content}`);
});

test('response_format json_schema gives JSON for the schema', async () => {
  const completion = await client.chat.completions.create({
    model: 'test-json',
    messages: [{ role: 'user', content: 'give me a person' }],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'person', schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
    },
  });
  const parsed = JSON.parse(completion.choices[0].message.content);
  assert.equal(typeof parsed.name, 'string');
});

test('embeddings come back decoded from base64 by default and as floats on request', async () => {
  const response = await client.embeddings.create({ model: 'hashing-384', input: ['the bank opens at nine', 'fees'] });
  assert.equal(response.object, 'list');
  assert.equal(response.data.length, 2);
  assert.equal(response.data[1].index, 1);
  assert.equal(response.data[0].embedding.length, 384);
  const norm = Math.sqrt(response.data[0].embedding.reduce((sum, x) => sum + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-3, `vectors are unit length, got ${norm}`);
  assert.equal(response.usage.prompt_tokens, 6);
  const floats = await client.embeddings.create({ model: 'hashing-384', input: 'the bank opens at nine',
    encoding_format: 'float' });
  assert.equal(floats.data.length, 1);
  floats.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - response.data[0].embedding[i]) < 1e-6));
});

test('an unknown model is a NotFoundError with status 404 and code model_not_found', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.ok(error instanceof OpenAI.NotFoundError, `got ${error.constructor.name}`);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'model_not_found');
      assert.match(error.message, /no-such-model/);
      return true;
    });
  await assert.rejects(client.embeddings.create({ model: 'no-such-embedder', input: 'x' }),
    (error) => error instanceof OpenAI.NotFoundError);
});

test('invalid fields are BadRequestErrors naming the field', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'test', n: 200, messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.status, 400);
      assert.equal(error.param, 'n');
      assert.equal(error.type, 'invalid_request_error');
      return true;
    });
  await assert.rejects(
    client.chat.completions.create({ model: 'test', messages: [{ role: 'wizard', content: 'hi' }] }),
    (error) => error.status === 400 && error.param === 'messages[0].role');
  await assert.rejects(
    client.chat.completions.create({ model: 'qa', messages: [{ role: 'user', content: 'hi' }], tools: [WEATHER_TOOL] }),
    (error) => error.status === 400 && error.param === 'tools');
});
