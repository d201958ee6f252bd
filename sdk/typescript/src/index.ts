// Public surface of @catena/client: the Catena client, its options, typed errors and the message types.
export {Catena, SERVICE_WRAPPERS} from './client';
export {CallOptions, CatenaOptions, DEFAULT_TIMEOUT_MS, TENANT_HEADER, TlsOptions} from './transport';
export {RetryPolicy, DEFAULT_RETRY_POLICY, backoffMs} from './retry';
export {findProtoDir, loadProtos, PROTO_FILES, SERVICE_NAMES, ServiceName} from './protos';
export {structFromWire, structToWire} from './convert';
export * from './errors';
export * from './types';
export {ServerApi} from './server';
export {InferenceApi} from './inference';
export {EmbeddingApi} from './embedding';
export {RetrievalApi} from './retrieval';
export {MemoryApi} from './memory';
export {PipelinesApi} from './pipelines';
