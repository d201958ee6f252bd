// Compiled (never run) by typecheck.test.mjs with tsc --strict against the built declarations: the public API
// must type-check as a TypeScript user writes it. `@ts-expect-error` lines must fail to compile.
import {Catena, CatenaError, ChatResult, NotFoundError, RunEvent, SearchHit} from '@catena/client';

export async function usage(catena: Catena): Promise<string> {
  const run = await catena.pipelines.run('qa', {question: 'hi', limit: 3, tags: ['a']}, {timeoutMs: 5000});
  const answer: unknown = run.outputs?.answer;
  for await (const event of catena.pipelines.stream('qa', {question: 'hi'})) {
    const typed: RunEvent = event;
    if (typed.event === 'token') console.log(typed.token?.textDelta.length);
  }
  const reply: ChatResult = await catena.inference.chat('m', [{role: 'user', content: 'hi'}],
      {sampling: {maxTokens: 8, seed: 1}, signal: new AbortController().signal});
  const hits: SearchHit[] = await catena.retrieval.search('kb', [0.1, 0.2], {k: 2, mode: 'hybrid'});
  const vectors: number[][] = (await catena.embedding.embed('hashing-384', 'x')).embeddings;
  const seqs: number[] = await catena.memory.appendMessages('s', [{role: 'assistant', content: 'x'}],
      {idempotencyKey: 'k'});
  try {
    await catena.server.info({requestId: 'r-1'});
  } catch (error) {
    if (error instanceof NotFoundError) return error.details;
    if (error instanceof CatenaError) return error.code;
  }
  // @ts-expect-error inputs must be an object
  await catena.pipelines.run('qa', 42);
  // @ts-expect-error roles are the short names
  await catena.inference.chat('m', [{role: 'ROLE_USER', content: 'hi'}]);
  // @ts-expect-error search modes are dense, sparse or hybrid
  await catena.retrieval.search('kb', 'q', {mode: 'fuzzy'});
  return `${String(answer)} ${reply.text} ${hits.length} ${vectors.length} ${seqs.length}`;
}
