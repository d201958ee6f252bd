// The SDK's transport against small grpc-js servers made here: every rpc of the repository's protos reaches
// the server through exactly one wrapper method, tenant/token/request-id metadata, TLS with a self-signed
// certificate (and mutual TLS), retries with backoff on UNAVAILABLE for idempotent calls only, deadlines that
// stop retrying, and client-side checks of request objects.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {after, before, describe, test} from 'node:test';
import {collect, grpc, loadRepositoryServices, sdk, selfSignedCertificate, startFakeServer, tempDir} from './support.mjs';

const services = loadRepositoryServices();
const {Catena} = sdk;

// One call of each rpc through the public API, keyed by the rpc's path.
const CALLS = {
  '/catena.v1.ServerService/GetServerInfo': (c) => c.server.info(),
  '/catena.v1.ServerService/Ping': (c) => c.server.ping('x'),
  '/catena.v1.InferenceService/Generate': (c) => c.inference.generate('m', 'p'),
  '/catena.v1.InferenceService/Chat': (c) => c.inference.chat('m', [{role: 'user', content: 'hi'}]),
  '/catena.v1.InferenceService/Tokenize': (c) => c.inference.tokenize('m', 'text'),
  '/catena.v1.InferenceService/ListModels': (c) => c.inference.listModels(),
  '/catena.v1.InferenceService/LoadModel': (c) => c.inference.loadModel('m'),
  '/catena.v1.InferenceService/UnloadModel': (c) => c.inference.unloadModel('m'),
  '/catena.v1.EmbeddingService/Embed': (c) => c.embedding.embed('e', 'text'),
  '/catena.v1.EmbeddingService/ListEmbedders': (c) => c.embedding.listEmbedders(),
  '/catena.v1.RetrievalService/CreateCollection': (c) => c.retrieval.createCollection('kb', {dimension: 4}),
  '/catena.v1.RetrievalService/ListCollections': (c) => c.retrieval.listCollections(),
  '/catena.v1.RetrievalService/DescribeCollection': (c) => c.retrieval.describeCollection('kb'),
  '/catena.v1.RetrievalService/DeleteCollection': (c) => c.retrieval.deleteCollection('kb'),
  '/catena.v1.RetrievalService/Upsert': (c) => c.retrieval.upsert('kb', [{id: 'a', text: 't'}]),
  '/catena.v1.RetrievalService/Delete': (c) => c.retrieval.delete('kb', {ids: ['a']}),
  '/catena.v1.RetrievalService/Get': (c) => c.retrieval.get('kb', ['a']),
  '/catena.v1.RetrievalService/Ingest': (c) => c.retrieval.ingest('kb', [{content: 'text'}]),
  '/catena.v1.RetrievalService/IngestStream': (c) => collect(c.retrieval.ingestStream('kb', [{content: 'text'}])),
  '/catena.v1.RetrievalService/Search': (c) => c.retrieval.search('kb', 'query'),
  '/catena.v1.MemoryService/CreateSession': (c) => c.memory.createSession({id: 's'}),
  '/catena.v1.MemoryService/GetSession': (c) => c.memory.getSession('s'),
  '/catena.v1.MemoryService/ListSessions': (c) => c.memory.listSessions(),
  '/catena.v1.MemoryService/DeleteSession': (c) => c.memory.deleteSession('s'),
  '/catena.v1.MemoryService/AppendMessages': (c) => c.memory.appendMessages('s', [{role: 'user', content: 'x'}]),
  '/catena.v1.MemoryService/ListMessages': (c) => c.memory.listMessages('s'),
  '/catena.v1.MemoryService/GetContext': (c) => c.memory.getContext('s', {lastN: 2}),
  '/catena.v1.MemoryService/PutFacts': (c) => c.memory.putFacts('u', {a: 'b'}),
  '/catena.v1.MemoryService/GetFacts': (c) => c.memory.getFacts('u'),
  '/catena.v1.MemoryService/PutCheckpoint': (c) => c.memory.putCheckpoint({runId: 'r', step: 1}),
  '/catena.v1.MemoryService/GetCheckpoint': (c) => c.memory.getCheckpoint('r'),
  '/catena.v1.MemoryService/ListCheckpoints': (c) => c.memory.listCheckpoints('r'),
  '/catena.v1.MemoryService/EraseUser': (c) => c.memory.eraseUser('u'),
  '/catena.v1.PipelineService/PutPipeline': (c) => c.pipelines.put('source'),
  '/catena.v1.PipelineService/ValidatePipeline': (c) => c.pipelines.validate('source'),
  '/catena.v1.PipelineService/ListPipelines': (c) => c.pipelines.list(),
  '/catena.v1.PipelineService/GetPipeline': (c) => c.pipelines.get('qa'),
  '/catena.v1.PipelineService/DeletePipeline': (c) => c.pipelines.delete('qa'),
  '/catena.v1.PipelineService/Run': (c) => c.pipelines.run('qa', {q: 1}),
  '/catena.v1.PipelineService/RunStream': (c) => collect(c.pipelines.stream('qa', {q: 1})),
  '/catena.v1.PipelineService/Resume': (c) => collect(c.pipelines.resume('run', true)),
  '/catena.v1.PipelineService/GetRun': (c) => c.pipelines.getRun('run'),
};

// An implementation of every rpc of `definition` that records the path and metadata and answers empty.
function recordingImplementation(definition, calls) {
  const implementation = {};
  for (const [rpc, method] of Object.entries(definition)) {
    implementation[rpc] = (call, callback) => {
      calls.push({path: method.path, metadata: call.metadata.getMap(), request: call.request});
      if (method.responseStream) {
        call.write({});
        call.end();
      } else {
        callback(null, {});
      }
    };
  }
  return implementation;
}

describe('every rpc', () => {
  const calls = [];
  let fake;
  let catena;
  before(async () => {
    fake = await startFakeServer(Object.values(services).map((definition) =>
      ({definition, implementation: recordingImplementation(definition, calls)})));
    catena = new Catena(fake.address, {tenant: 'acme', token: 'tok-1', timeoutMs: 5000});
  });
  after(() => {
    catena.close();
    fake.server.forceShutdown();
  });

  test('each service of the protos has a wrapper with a method for each of its rpcs', () => {
    assert.deepEqual(Object.keys(sdk.SERVICE_WRAPPERS).sort(), Object.keys(services).sort());
    for (const [serviceName, definition] of Object.entries(services)) {
      const wrapper = sdk.SERVICE_WRAPPERS[serviceName];
      assert.deepEqual(Object.keys(wrapper.rpcs).sort(), Object.keys(definition).sort(), serviceName);
      for (const method of Object.values(wrapper.rpcs)) {
        assert.equal(typeof catena[wrapper.property][method], 'function', `${wrapper.property}.${method}`);
      }
    }
  });

  test('each wrapper method calls exactly its rpc, with tenant and bearer token metadata', async () => {
    const paths = Object.values(services).flatMap((definition) => Object.values(definition).map((m) => m.path));
    assert.deepEqual(Object.keys(CALLS).sort(), paths.sort());
    for (const [path, call] of Object.entries(CALLS)) {
      calls.length = 0;
      await call(catena);
      assert.deepEqual(calls.map((c) => c.path), [path]);
      assert.equal(calls[0].metadata['x-catena-tenant'], 'acme', path);
      assert.equal(calls[0].metadata.authorization, 'Bearer tok-1', path);
    }
  });

  test('request objects are converted: structs, enums by short name, bytes from strings', async () => {
    calls.length = 0;
    await catena.pipelines.run('qa', {question: 'hi', n: 2, tags: ['a', null], nested: {ok: true}});
    const inputs = calls[0].request.inputs.fields;
    assert.equal(inputs.question.stringValue, 'hi');
    assert.equal(inputs.n.numberValue, 2);
    assert.equal(inputs.tags.listValue.values[1].kind, 'nullValue');
    assert.equal(inputs.nested.structValue.fields.ok.boolValue, true);
    calls.length = 0;
    await catena.inference.chat('m', [{role: 'assistant', content: 'x'}], {responseFormat: {kind: 'json_object'}});
    assert.equal(calls[0].request.messages[0].role, 3);  // ROLE_ASSISTANT
    assert.equal(calls[0].request.responseFormat.kind, 2);  // KIND_JSON_OBJECT
    calls.length = 0;
    await catena.server.ping('héllo', {requestId: 'req-7'});
    assert.deepEqual(calls[0].request.payload, Buffer.from('héllo', 'utf8'));
    assert.equal(calls[0].metadata['x-request-id'], 'req-7');
  });

  test('a wrong request field or value is InvalidArgumentError before anything is sent', async () => {
    calls.length = 0;
    await assert.rejects(catena.retrieval.search('kb', 'q', {topk: 3}), (e) =>
      e instanceof sdk.InvalidArgumentError && /topk/.test(e.message) && /\bk\b/.test(e.message));
    await assert.rejects(catena.retrieval.search('kb', 'q', {k: 'three'}), (e) =>
      e instanceof sdk.InvalidArgumentError && /SearchRequest\.k: expected a number/.test(e.message));
    assert.throws(() => catena.inference.chatStream('m', [{role: 'boss', content: 'x'}]), (e) =>
      e instanceof sdk.InvalidArgumentError && /messages\[0\]\.role/.test(e.message) && /assistant/.test(e.message));
    assert.equal(calls.length, 0);
  });
});

describe('retries', () => {
  const attempts = {ping: 0, run: 0, info: 0};
  let failuresBeforeSuccess = 0;
  let fake;
  const unavailable = {code: grpc.status.UNAVAILABLE, details: 'warming up'};
  before(async () => {
    fake = await startFakeServer([
      {definition: services['catena.v1.ServerService'], implementation: {
        Ping: (call, callback) => {
          attempts.ping += 1;
          if (attempts.ping <= failuresBeforeSuccess) callback(unavailable);
          else callback(null, {payload: call.request.payload});
        },
        GetServerInfo: (call, callback) => {
          attempts.info += 1;
          callback({code: grpc.status.NOT_FOUND, details: 'no info'});
        },
      }},
      {definition: services['catena.v1.PipelineService'], implementation: {
        Run: (call, callback) => {
          attempts.run += 1;
          callback(unavailable);
        },
      }},
    ]);
  });
  after(() => fake.server.forceShutdown());
  const reset = (failures) => {
    failuresBeforeSuccess = failures;
    attempts.ping = attempts.run = attempts.info = 0;
  };

  test('an idempotent call is retried on UNAVAILABLE with growing backoff until it succeeds', async () => {
    reset(2);
    const catena = new Catena(fake.address, {retries: {maxRetries: 3, initialBackoffMs: 100, multiplier: 2}});
    const started = Date.now();
    const payload = await catena.server.ping('again');
    const elapsed = Date.now() - started;
    catena.close();
    assert.equal(payload.toString(), 'again');
    assert.equal(attempts.ping, 3);
    // Backoffs are jittered within [bound/2, bound]: at least 50 + 100 ms for bounds 100 and 200.
    assert.ok(elapsed >= 150, `elapsed ${elapsed} ms`);
    assert.ok(elapsed < 2000, `elapsed ${elapsed} ms`);
  });

  test('retries stop after maxRetries with an UnavailableError that counts the attempts', async () => {
    reset(100);
    const catena = new Catena(fake.address, {retries: {maxRetries: 2, initialBackoffMs: 10}});
    await assert.rejects(catena.server.ping('x'), (e) =>
      e instanceof sdk.UnavailableError && e.code === 'UNAVAILABLE' && e.grpcCode === 14 && e.attempts === 3 &&
      e.details === 'warming up' && e.rpc === '/catena.v1.ServerService/Ping');
    assert.equal(attempts.ping, 3);
    catena.close();
  });

  test('a call that is not idempotent, or fails with another code, is attempted once', async () => {
    reset(100);
    const catena = new Catena(fake.address, {retries: {maxRetries: 4, initialBackoffMs: 10}});
    await assert.rejects(catena.pipelines.run('qa', {}), sdk.UnavailableError);
    assert.equal(attempts.run, 1);
    await assert.rejects(catena.server.info(), sdk.NotFoundError);
    assert.equal(attempts.info, 1);
    // The per-call override makes Run retryable.
    await assert.rejects(catena.pipelines.run('qa', {}, {idempotent: true}), (e) => e.attempts === 5);
    assert.equal(attempts.run, 6);
    catena.close();
  });

  test('the deadline covers every attempt: retrying stops when the next backoff would pass it', async () => {
    reset(1000);
    const catena = new Catena(fake.address, {retries: {maxRetries: 50, initialBackoffMs: 100, maxBackoffMs: 100}});
    const started = Date.now();
    // The last UNAVAILABLE, or DEADLINE_EXCEEDED when the deadline passes during the last attempt itself.
    await assert.rejects(catena.server.ping('x', {timeoutMs: 450}), (e) =>
      e instanceof sdk.UnavailableError || e instanceof sdk.DeadlineExceededError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1500, `elapsed ${elapsed} ms`);  // without the deadline: 50 backoffs, over 2.5 s
    assert.ok(attempts.ping >= 2 && attempts.ping <= 10, `attempts ${attempts.ping}`);
    catena.close();
  });

  test('a server that is not there is UnavailableError after the retries', async () => {
    const catena = new Catena('127.0.0.1:1', {retries: {maxRetries: 1, initialBackoffMs: 10}, timeoutMs: 5000});
    await assert.rejects(catena.server.info(), (e) => e instanceof sdk.UnavailableError && e.attempts === 2);
    catena.close();
  });

  test('backoff bounds grow by the multiplier up to the maximum, jittered to at least half', () => {
    const policy = {maxRetries: 5, initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 3};
    assert.equal(sdk.backoffMs(policy, 0, () => 0), 50);
    assert.equal(sdk.backoffMs(policy, 0, () => 1), 100);
    assert.equal(sdk.backoffMs(policy, 2, () => 1), 900);
    assert.equal(sdk.backoffMs(policy, 3, () => 1), 1000);
    assert.equal(sdk.backoffMs(policy, 3, () => 0.5), 750);
    assert.throws(() => new Catena('127.0.0.1:1', {retries: -1}), RangeError);
  });
});

describe('TLS and token', () => {
  const seen = [];
  const dir = tempDir('catena-ts-tls-');
  const server = selfSignedCertificate(dir, 'server');
  const client = selfSignedCertificate(dir, 'client');
  const infoService = {definition: services['catena.v1.ServerService'], implementation: {
    GetServerInfo: (call, callback) => {
      seen.push(call.metadata.getMap());
      callback(null, {version: '9.9.9', tenant: String(call.metadata.get('x-catena-tenant')[0] ?? '')});
    },
  }};
  let tls;
  let mutual;
  before(async () => {
    tls = await startFakeServer([infoService], grpc.ServerCredentials.createSsl(null,
        [{cert_chain: server.cert, private_key: server.key}], false));
    mutual = await startFakeServer([infoService], grpc.ServerCredentials.createSsl(client.cert,
        [{cert_chain: server.cert, private_key: server.key}], true));
  });
  after(() => {
    tls.server.forceShutdown();
    mutual.server.forceShutdown();
    fs.rmSync(dir, {recursive: true, force: true});
  });
  const options = {retries: 0, timeoutMs: 5000};

  test('a client trusting the self-signed certificate connects and sends the token and tenant', async () => {
    seen.length = 0;
    const catena = new Catena(tls.address, {...options, tenant: 'acme', token: 's3cret',
      tls: {rootCerts: server.cert.toString()}});
    const info = await catena.server.info();
    catena.close();
    assert.equal(info.version, '9.9.9');
    assert.equal(info.tenant, 'acme');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].authorization, 'Bearer s3cret');
    assert.equal(seen[0]['x-catena-tenant'], 'acme');
  });

  test('without the certificate, or without TLS, the connection fails with UnavailableError', async () => {
    seen.length = 0;
    for (const tlsOption of [true, undefined]) {
      const catena = new Catena(tls.address, {...options, tls: tlsOption});
      await assert.rejects(catena.server.info(), sdk.UnavailableError);
      catena.close();
    }
    assert.equal(seen.length, 0);
  });

  test('mutual TLS: the server accepts a client presenting certChain and privateKey, and no other', async () => {
    const withCert = new Catena(mutual.address, {...options,
      tls: {rootCerts: server.cert, certChain: client.cert, privateKey: client.key}});
    assert.equal((await withCert.server.info()).version, '9.9.9');
    withCert.close();
    const withoutCert = new Catena(mutual.address, {...options, tls: {rootCerts: server.cert}});
    await assert.rejects(withoutCert.server.info(), sdk.UnavailableError);
    withoutCert.close();
    assert.throws(() => new Catena(mutual.address, {tls: {certChain: client.cert}}), /privateKey/);
  });
});
