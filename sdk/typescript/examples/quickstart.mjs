// Quickstart for @catena/client: store a pipeline, run it, stream it, search a collection, handle an error.
// Against a catenad with the test chat models:
//   catenad --set pipelines.test_models=true &
//   node examples/quickstart.mjs 127.0.0.1:50051
import {AlreadyExistsError, Catena, NotFoundError} from '@catena/client';

const catena = new Catena(process.argv[2] ?? '127.0.0.1:50051', {tenant: 'demo', timeoutMs: 10_000});

await catena.pipelines.put(`apiVersion: catena/v1
kind: Pipeline
metadata: {name: qa}
inputs:
  question: {type: string, required: true}
nodes:
  answer:
    type: llm.chat
    with: {model: test, prompt: "{{ inputs.question }}"}
outputs:
  answer: "{{ nodes.answer.text }}"
`);
const {outputs} = await catena.pipelines.run('qa', {question: 'where is my card?'});
console.log(`answer: ${outputs.answer}`);

let streamed = '';
for await (const event of catena.pipelines.stream('qa', {question: 'open an account'})) {
  if (event.event === 'token') streamed += event.token.textDelta;
}
console.log(`streamed: ${streamed}`);

try {
  await catena.retrieval.createCollection('faq', {dimension: 384, embedder: 'hashing-384'});
} catch (error) {
  if (!(error instanceof AlreadyExistsError)) throw error;
}
await catena.retrieval.upsert('faq', [
  {id: 'fee', text: 'The card replacement fee is 5 EUR.', metadata: {topic: 'cards'}},
  {id: 'hours', text: 'Branches open at nine on weekdays.', metadata: {topic: 'branches'}},
]);
const [best] = await catena.retrieval.search('faq', 'how much is a new card replacement', {k: 1});
console.log(`best match: ${best.document.id} (${best.document.metadata.topic})`);

try {
  await catena.pipelines.get('no-such-pipeline');
} catch (error) {
  if (!(error instanceof NotFoundError)) throw error;
  console.log(`not found: ${error.code}`);
}
catena.close();
