// Catena: the entry point of the SDK. One channel to catenad and one wrapper per service:
//   const catena = new Catena('127.0.0.1:50051', {tenant: 'bank', token});
//   const {outputs} = await catena.pipelines.run('qa', {question: 'hi'});
// Safe to share; close() when done.
import {EmbeddingApi} from './embedding';
import {InferenceApi} from './inference';
import {MemoryApi} from './memory';
import {PipelinesApi} from './pipelines';
import {ServiceName} from './protos';
import {RetrievalApi} from './retrieval';
import {ServerApi} from './server';
import {CatenaOptions, Transport} from './transport';

// For each proto service: the Catena property wrapping it and that wrapper's rpc -> method table.
export const SERVICE_WRAPPERS: Record<ServiceName, {property: keyof Catena; rpcs: Record<string, string>}> = {
  'catena.v1.ServerService': {property: 'server', rpcs: ServerApi.rpcs},
  'catena.v1.InferenceService': {property: 'inference', rpcs: InferenceApi.rpcs},
  'catena.v1.EmbeddingService': {property: 'embedding', rpcs: EmbeddingApi.rpcs},
  'catena.v1.RetrievalService': {property: 'retrieval', rpcs: RetrievalApi.rpcs},
  'catena.v1.MemoryService': {property: 'memory', rpcs: MemoryApi.rpcs},
  'catena.v1.PipelineService': {property: 'pipelines', rpcs: PipelinesApi.rpcs},
};

export class Catena {
  readonly transport: Transport;
  readonly server: ServerApi;
  readonly inference: InferenceApi;
  readonly embedding: EmbeddingApi;
  readonly retrieval: RetrievalApi;
  readonly memory: MemoryApi;
  readonly pipelines: PipelinesApi;

  // `address` is host:port (e.g. '127.0.0.1:50051'); the channel connects lazily on the first call.
  constructor(readonly address: string, options: CatenaOptions = {}) {
    this.transport = new Transport(address, options);
    this.server = new ServerApi(this.transport);
    this.inference = new InferenceApi(this.transport);
    this.embedding = new EmbeddingApi(this.transport);
    this.retrieval = new RetrievalApi(this.transport);
    this.memory = new MemoryApi(this.transport);
    this.pipelines = new PipelinesApi(this.transport);
  }

  // Resolves once connected; rejects with UnavailableError after timeoutMs.
  ready(timeoutMs?: number): Promise<void> {
    return this.transport.ready(timeoutMs);
  }

  // Closes the channel; calls in flight are cancelled.
  close(): void {
    this.transport.close();
  }
}
