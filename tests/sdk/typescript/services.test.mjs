// The TypeScript SDK against a real catenad (all services, pipelines.test_models on): server info and ping,
// embeddings, retrieval, memory and pipelines with checks on the results, streaming, typed errors, deadlines
// and cancellation, and the README's quickstart. Inference runs in inference.test.mjs (it needs a generated model).
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {collect, sdk, SDK_DIR, startCatenad} from './support.mjs';

const {Catena} = sdk;
let catenad;
let catena;

before(async () => {
  catenad = await startCatenad(['--set', 'pipelines.test_models=true']);
  catena = new Catena(catenad.address, {tenant: 'bank', timeoutMs: 20_000});
});
after(async () => {
  catena?.close();
  await catenad?.stop();
});

describe('server', () => {
  test('info reports the tenant and request id of the call and every service', async () => {
    const info = await catena.server.info({requestId: 'ts-1'});
    assert.equal(info.tenant, 'bank');
    assert.equal(info.requestId, 'ts-1');
    assert.match(info.version, /^\d+\.\d+\.\d+$/);
    for (const service of ['Server', 'Inference', 'Embedding', 'Retrieval', 'Memory', 'Pipeline']) {
      assert.ok(info.services.includes(`catena.v1.${service}Service`), service);
    }
    assert.equal((await catena.server.info({tenant: 'shop'})).tenant, 'shop');
  });

  test('ping echoes bytes and a bad delay is InvalidArgumentError naming the field', async () => {
    assert.deepEqual(await catena.server.ping(Buffer.from([0, 1, 254])), Buffer.from([0, 1, 254]));
    await assert.rejects(catena.server.ping('x', {delayMs: -1}), (e) =>
      e instanceof sdk.InvalidArgumentError && e instanceof sdk.CatenaError && e.code === 'INVALID_ARGUMENT' &&
      e.grpcCode === 3 && /delay_ms/.test(e.details));
  });

  test('a deadline shorter than the call is DeadlineExceededError, on time', async () => {
    const started = Date.now();
    await assert.rejects(catena.server.ping('slow', {delayMs: 3000, timeoutMs: 300}), sdk.DeadlineExceededError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2000, `elapsed ${elapsed} ms`);
    const impatient = new Catena(catenad.address, {timeoutMs: 200});
    await assert.rejects(impatient.server.ping('slow', {delayMs: 2000}), sdk.DeadlineExceededError);
    assert.equal((await impatient.server.ping('fast', {delayMs: 10})).toString(), 'fast');
    impatient.close();
  });

  test('an AbortSignal cancels a call in flight with CancelledError', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await assert.rejects(catena.server.ping('x', {delayMs: 3000, signal: controller.signal}), sdk.CancelledError);
    assert.ok(Date.now() - started < 2000);
  });
});

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

describe('embedding', () => {
  test('the hashing embedder is listed with its dimension', async () => {
    const embedders = await catena.embedding.listEmbedders();
    const hashing = embedders.find((e) => e.name === 'hashing-384');
    assert.ok(hashing, JSON.stringify(embedders));
    assert.equal(hashing.dimension, 384);
  });

  test('embed returns one normalized vector per input; equal texts embed equally', async () => {
    const texts = ['card replacement fee', 'card replacement fee', 'weather in lisbon tomorrow'];
    const result = await catena.embedding.embed('hashing-384', texts, {normalize: true, inputKind: 'query'});
    assert.equal(result.dimension, 384);
    assert.equal(result.embeddings.length, 3);
    for (const vector of result.embeddings) {
      assert.equal(vector.length, 384);
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-4);
    }
    assert.deepEqual(result.embeddings[0], result.embeddings[1]);
    assert.ok(cosine(result.embeddings[0], result.embeddings[2]) < 0.5);
    const single = await catena.embedding.embed('hashing-384', 'card replacement fee', {normalize: true});
    assert.equal(single.embeddings.length, 1);
  });

  test('an unknown embedder is a typed error naming it', async () => {
    await assert.rejects(catena.embedding.embed('no-such-embedder', 'x'), (e) =>
      e instanceof sdk.CatenaError && ['NOT_FOUND', 'INVALID_ARGUMENT'].includes(e.code) &&
      /no-such-embedder/.test(e.message));
  });
});

const DOCUMENTS = [
  {id: 'fees', text: 'The card replacement fee is 5 EUR and the new card arrives in a week.',
    metadata: {lang: 'en', year: 2024, tags: ['cards', 'fees']}},
  {id: 'hours', text: 'Branches open at nine and close at five on weekdays.', metadata: {lang: 'en', year: 2022}},
  {id: 'horaires', text: 'Les agences ouvrent à neuf heures.', metadata: {lang: 'fr', year: 2024}},
];

describe('retrieval', () => {
  before(async () => {
    await catena.retrieval.createCollection('kb', {dimension: 384, embedder: 'hashing-384', metric: 'cosine',
      fields: [{name: 'lang', type: 'string', indexed: true}, {name: 'year', type: 'int'}]});
  });

  test('a created collection is described with its spec and listed only for its tenant', async () => {
    const described = await catena.retrieval.describeCollection('kb');
    assert.equal(described.name, 'kb');
    assert.equal(described.spec.dimension, 384);
    assert.equal(described.spec.metric, 'cosine');
    assert.equal(described.spec.embedder, 'hashing-384');
    const listed = await catena.retrieval.listCollections();
    assert.deepEqual(listed.collections.map((c) => c.name), ['kb']);
    assert.equal(listed.nextPageToken, '');
    const other = await catena.retrieval.listCollections({tenant: 'shop'});
    assert.deepEqual(other.collections, []);
    await assert.rejects(catena.retrieval.describeCollection('kb', {tenant: 'shop'}), sdk.NotFoundError);
    await assert.rejects(catena.retrieval.createCollection('kb', {dimension: 384}), sdk.AlreadyExistsError);
  });

  test('upserted documents come back with their metadata as plain objects and are searchable', async () => {
    assert.deepEqual(await catena.retrieval.upsert('kb', DOCUMENTS), ['fees', 'hours', 'horaires']);
    const [fees] = await catena.retrieval.get('kb', ['fees', 'missing']);
    assert.equal(fees.text, DOCUMENTS[0].text);
    assert.deepEqual(fees.metadata, DOCUMENTS[0].metadata);
    assert.equal((await catena.retrieval.describeCollection('kb')).documentCount, 3);

    const hits = await catena.retrieval.search('kb', 'how much is the card replacement fee', {k: 2});
    assert.equal(hits.length, 2);
    assert.equal(hits[0].document.id, 'fees');
    assert.ok(hits[0].score >= hits[1].score);
    const filtered = await catena.retrieval.search('kb', 'open', {k: 3, filter: 'lang == "fr"'});
    assert.deepEqual(filtered.map((h) => h.document.id), ['horaires']);
    const byVector = await catena.retrieval.search('kb', (await catena.retrieval.get('kb', ['hours'],
        {includeEmbeddings: true}))[0].embedding, {k: 1});
    assert.equal(byVector[0].document.id, 'hours');
  });

  test('a bad filter is InvalidArgumentError with its position', async () => {
    await assert.rejects(catena.retrieval.search('kb', 'x', {filter: 'year >= '}), (e) =>
      e instanceof sdk.InvalidArgumentError && /filter:1:/.test(e.details));
  });

  test('ingest splits raw documents into chunks and ingestStream reports progress then the result', async () => {
    await catena.retrieval.createCollection('raw', {dimension: 384, embedder: 'hashing-384'});
    const text = 'Savings accounts pay interest monthly. '.repeat(40);
    const result = await catena.retrieval.ingest('raw', [{source: 'savings.txt', content: text,
      mimeType: 'text/plain'}], {splitter: {kind: 'recursive', chunkSize: 200, chunkOverlap: 0}});
    assert.equal(result.documents, 1);
    assert.ok(result.chunks > 1, JSON.stringify(result));
    assert.equal(result.chunkIds.length, result.chunks);
    assert.deepEqual(result.failures, []);

    const progress = await collect(catena.retrieval.ingestStream('raw', [
      {source: 'a.txt', content: Buffer.from('Loans need a credit check.'), mimeType: 'text/plain'},
      {source: 'b.txt', content: 'Mortgages run for up to thirty years.', mimeType: 'text/plain'}]));
    const last = progress[progress.length - 1];
    assert.ok(last.result, JSON.stringify(progress));
    assert.equal(last.result.documents, 2);
    assert.equal(last.documentsTotal, 2);
    const hits = await catena.retrieval.search('raw', 'mortgages thirty years', {k: 1});
    assert.match(hits[0].document.text, /Mortgages/);
  });

  test('delete removes documents by id and deleteCollection removes the collection', async () => {
    assert.equal(await catena.retrieval.delete('kb', {ids: ['hours']}), 1);
    assert.deepEqual(await catena.retrieval.get('kb', ['hours']), []);
    await catena.retrieval.deleteCollection('raw');
    await assert.rejects(catena.retrieval.describeCollection('raw'), sdk.NotFoundError);
  });
});

describe('memory', () => {
  test('sessions keep metadata, messages keep order and roles, context returns the last ones', async () => {
    const session = await catena.memory.createSession({id: 'chat-1', userId: 'u-42', metadata: {channel: 'web'}});
    assert.equal(session.id, 'chat-1');
    assert.deepEqual(session.metadata, {channel: 'web'});
    const seqs = await catena.memory.appendMessages('chat-1', [
      {role: 'user', content: 'hello'}, {role: 'assistant', content: 'hi, how can I help?'},
      {role: 'user', content: 'block my card'}]);
    assert.equal(seqs.length, 3);
    assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2]);
    const listed = await catena.memory.listMessages('chat-1');
    assert.deepEqual(listed.messages.map((m) => [m.message.role, m.message.content]),
        [['user', 'hello'], ['assistant', 'hi, how can I help?'], ['user', 'block my card']]);
    const reversed = await catena.memory.listMessages('chat-1', {reverse: true, page: {pageSize: 1}});
    assert.deepEqual(reversed.messages.map((m) => m.message.content), ['block my card']);
    assert.notEqual(reversed.nextPageToken, '');
    const context = await catena.memory.getContext('chat-1', {strategy: 'window', lastN: 2});
    assert.deepEqual(context.messages.map((m) => m.content), ['hi, how can I help?', 'block my card']);
    assert.equal((await catena.memory.getSession('chat-1')).messageCount, 3);
    const sessions = await catena.memory.listSessions({userId: 'u-42'});
    assert.deepEqual(sessions.sessions.map((s) => s.id), ['chat-1']);
  });

  test('an append with an idempotency key is applied once and retried safely', async () => {
    await catena.memory.createSession({id: 'chat-2', userId: 'u-42'});
    const message = [{role: 'user', content: 'once'}];
    const first = await catena.memory.appendMessages('chat-2', message, {idempotencyKey: 'k-1'});
    const again = await catena.memory.appendMessages('chat-2', message, {idempotencyKey: 'k-1'});
    assert.deepEqual(again, first);
    assert.equal((await catena.memory.listMessages('chat-2')).messages.length, 1);
  });

  test('facts and checkpoints round-trip; eraseUser removes everything of the user', async () => {
    await catena.memory.putFacts('u-42', {name: 'Ada', city: 'Porto'});
    assert.deepEqual(await catena.memory.getFacts('u-42'), {name: 'Ada', city: 'Porto'});
    const state = Buffer.from([1, 2, 3, 250]);
    const stored = await catena.memory.putCheckpoint({runId: 'run-9', step: 1, parentStep: -1, state, userId: 'u-42'});
    assert.equal(stored.parentStep, -1);
    assert.ok(stored.createdAtUnixMs > Date.now() - 60_000);
    await catena.memory.putCheckpoint({runId: 'run-9', step: 2, parentStep: 1, state: 'second', userId: 'u-42'});
    const checkpoint = await catena.memory.getCheckpoint('run-9', {step: 1});
    assert.deepEqual(checkpoint.state, state);
    const latest = await catena.memory.getCheckpoint('run-9');
    assert.equal(latest.step, 2);
    assert.equal(latest.state.toString(), 'second');
    const listed = await catena.memory.listCheckpoints('run-9');
    assert.deepEqual(listed.checkpoints.map((c) => c.step).sort(), [1, 2]);
    const erased = await catena.memory.eraseUser('u-42');
    assert.equal(erased.sessionsErased, 2);
    assert.equal(erased.messagesErased, 4);
    assert.ok(erased.factsErased >= 2);
    assert.equal(erased.checkpointsErased, 2);
    await assert.rejects(catena.memory.getSession('chat-1'), sdk.NotFoundError);
    await catena.memory.createSession({id: 'chat-3', userId: 'u-7'});
    await catena.memory.deleteSession('chat-3');
    await assert.rejects(catena.memory.getSession('chat-3'), sdk.NotFoundError);
  });
});

const QA = `apiVersion: catena/v1
kind: Pipeline
metadata: {name: qa, description: "answers with the test model"}
inputs:
  question: {type: string, required: true}
nodes:
  answer:
    type: llm.chat
    with: {model: test, prompt: "{{ inputs.question }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
`;

const TRANSFER = `apiVersion: catena/v1
kind: Pipeline
metadata: {name: transfer}
inputs:
  amount: {type: int, required: true}
nodes:
  approve:
    type: handoff.human
    with: {reason: "approve transfer of {{ inputs.amount }} EUR", payload: {amount: "{{ inputs.amount }}"}}
  decide:
    type: transform
    with: {status: "{{ 'approved' if nodes.approve.approved else 'rejected' }}"}
outputs:
  status: "{{ nodes.decide.status }}"
`;

const BROKEN = `apiVersion: catena/v1
kind: Pipeline
metadata: {name: broken}
nodes:
  first:
    type: transfrom
    with: {x: 1}
`;

describe('pipelines', () => {
  test('put stores a version named by the SHA-256 of the file; get and list return it', async () => {
    const stored = await catena.pipelines.put(QA, {fileName: 'qa.yaml'});
    assert.equal(stored.name, 'qa');
    assert.equal(stored.version, crypto.createHash('sha256').update(QA).digest('hex'));
    assert.deepEqual(stored.inputs.map((i) => [i.name, i.type, i.required]), [['question', 'string', true]]);
    assert.equal((await catena.pipelines.get('qa')).source, QA);
    const listed = await catena.pipelines.list();
    assert.ok(listed.pipelines.some((p) => p.name === 'qa'));
    await assert.rejects(catena.pipelines.get('qa', {tenant: 'shop'}), sdk.NotFoundError);
  });

  test('validate reports problems with line and node; put of a broken file is InvalidArgumentError', async () => {
    const result = await catena.pipelines.validate(BROKEN, {fileName: 'broken.yaml'});
    assert.equal(result.valid, false);
    const problem = result.problems.find((p) => p.node === 'first');
    assert.ok(problem, JSON.stringify(result.problems));
    assert.equal(problem.file, 'broken.yaml');
    assert.equal(problem.line, 6);
    assert.match(problem.message, /transfrom/);
    assert.equal((await catena.pipelines.validate(QA)).valid, true);
    await assert.rejects(catena.pipelines.put(BROKEN), (e) => e instanceof sdk.InvalidArgumentError &&
      /transfrom/.test(e.details));
  });

  test('run returns the outputs as a plain object and getRun the trace', async () => {
    const result = await catena.pipelines.run('qa', {question: 'where is my card'}, {runId: 'ts-run-1'});
    assert.equal(result.runId, 'ts-run-1');
    assert.equal(result.state, 'completed');
    assert.deepEqual(result.outputs, {answer: 'echo: where is my card'});
    assert.ok(result.usage.completionTokens > 0);
    const trace = await catena.pipelines.getRun('ts-run-1');
    assert.equal(trace.pipeline, 'qa');
    assert.equal(trace.state, 'completed');
    assert.deepEqual(trace.inputs, {question: 'where is my card'});
    assert.equal(trace.events[0].event, 'runStarted');
    assert.equal(trace.events[trace.events.length - 1].event, 'final');
    await assert.rejects(catena.pipelines.run('qa', {question: 'again'}, {runId: 'ts-run-1'}),
        sdk.AlreadyExistsError);
    await assert.rejects(catena.pipelines.run('nope', {}), sdk.NotFoundError);
  });

  test('stream yields events in order: runStarted first, tokens of the answer, final last', async () => {
    const events = await collect(catena.pipelines.stream('qa', {question: 'open a savings account'}));
    assert.equal(events[0].event, 'runStarted');
    assert.deepEqual(events[0].runStarted.inputs, {question: 'open a savings account'});
    const last = events[events.length - 1];
    assert.equal(last.event, 'final');
    assert.deepEqual(last.final.outputs, {answer: 'echo: open a savings account'});
    for (let i = 1; i < events.length; ++i) assert.ok(events[i].seq > events[i - 1].seq);
    const tokens = events.filter((e) => e.event === 'token').map((e) => e.token.textDelta).join('');
    assert.equal(tokens.replace(/\s/g, ''), 'echo:openasavingsaccount');
    const finished = events.find((e) => e.event === 'nodeFinished' && e.nodeFinished.node === 'answer');
    assert.equal(finished.nodeFinished.output.text, 'echo: open a savings account');
  });

  test('an inline pipeline runs from its source without being stored', async () => {
    const result = await catena.pipelines.run('', {question: 'inline'}, {source: QA});
    assert.deepEqual(result.outputs, {answer: 'echo: inline'});
  });

  test('a run interrupted by a human handoff resumes with the decision', async () => {
    await catena.pipelines.put(TRANSFER);
    const waiting = await catena.pipelines.run('transfer', {amount: 500}, {runId: 'ts-transfer'});
    assert.equal(waiting.state, 'interrupted');
    assert.equal(waiting.interrupt.node, 'approve');
    assert.equal(waiting.interrupt.reason, 'approve transfer of 500 EUR');
    const events = await collect(catena.pipelines.resume('ts-transfer', true));
    assert.deepEqual(events[events.length - 1].final.outputs, {status: 'approved'});
    assert.equal((await catena.pipelines.getRun('ts-transfer')).state, 'completed');
    await assert.rejects(collect(catena.pipelines.resume('ts-transfer', true)), sdk.FailedPreconditionError);
    await assert.rejects(collect(catena.pipelines.resume('no-such-run', true)), sdk.NotFoundError);
  });

  test('delete removes every version', async () => {
    await catena.pipelines.delete('transfer');
    await assert.rejects(catena.pipelines.get('transfer'), sdk.NotFoundError);
    await assert.rejects(catena.pipelines.delete('transfer'), sdk.NotFoundError);
  });
});

describe('README example', () => {
  test('examples/quickstart.mjs is shown verbatim in the README and runs against catenad', async () => {
    const source = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../sdk/typescript');
    const example = fs.readFileSync(path.join(source, 'examples/quickstart.mjs'), 'utf8');
    assert.ok(fs.readFileSync(path.join(source, 'README.md'), 'utf8').includes(example));
    const {stdout} = await promisify(execFile)(process.execPath,
        [path.join(SDK_DIR, 'examples/quickstart.mjs'), catenad.address], {timeout: 30_000});
    assert.deepEqual(stdout.trim().split('\n'), ['answer: echo: where is my card?', 'streamed: echo: open an account',
      'best match: fee (cards)', 'not found: NOT_FOUND']);
  });
});
