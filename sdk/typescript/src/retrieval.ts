// RetrievalApi: catena.v1.RetrievalService (collections, documents, ingestion, search). Reached as
// `catena.retrieval`.
import {ServiceClient, splitOptions, WithCall} from './service_base';
import {CallOptions, Transport} from './transport';
import {
  Collection, CollectionSpec, Document, DocumentInput, IngestOptions, IngestProgress, IngestResult, ListResult, Page,
  RawDocument, SearchHit, SearchOptions,
} from './types';

export class RetrievalApi extends ServiceClient {
  static readonly rpcs = {
    CreateCollection: 'createCollection', ListCollections: 'listCollections',
    DescribeCollection: 'describeCollection', DeleteCollection: 'deleteCollection', Upsert: 'upsert',
    Delete: 'delete', Get: 'get', Ingest: 'ingest', IngestStream: 'ingestStream', Search: 'search',
  } as const;

  constructor(transport: Transport) {
    super(transport, 'catena.v1.RetrievalService');
  }

  // Creates collection `name` (dimension and embedder default on the server).
  createCollection(name: string, spec: CollectionSpec = {}, call: CallOptions = {}): Promise<Collection> {
    return this.callUnary('CreateCollection', {name, spec}, call, false);
  }

  // One page of the tenant's collections.
  listCollections(options?: WithCall<{page?: Page}>): Promise<ListResult<'collections', Collection>> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('ListCollections', fields, call, true);
  }

  // The collection's spec and counts.
  describeCollection(name: string, call: CallOptions = {}): Promise<Collection> {
    return this.callUnary('DescribeCollection', {name}, call, true);
  }

  // Deletes the collection and its documents.
  async deleteCollection(name: string, call: CallOptions = {}): Promise<void> {
    await this.callUnary('DeleteCollection', {name}, call, false);
  }

  // Inserts or replaces documents (embedded by the collection's embedder unless `embedding` is given); resolves
  // to their ids. Retried on UNAVAILABLE only when every document has an id.
  async upsert(collection: string, documents: DocumentInput[], call: CallOptions = {}): Promise<string[]> {
    const idempotent = documents.every((d) => Boolean(d.id));
    return (await this.callUnary<{ids: string[]}>('Upsert', {collection, documents}, call, idempotent)).ids;
  }

  // Deletes documents by id and/or filter expression; resolves to how many were deleted.
  async delete(collection: string, options: WithCall<{ids?: string[]; filter?: string}>): Promise<number> {
    const [fields, call] = splitOptions(options);
    return (await this.callUnary<{deleted: number}>('Delete', {collection, ...fields}, call, false)).deleted;
  }

  // The documents with these ids (unknown ids are left out).
  async get(collection: string, ids: string[], options?: WithCall<{includeEmbeddings?: boolean}>):
      Promise<Document[]> {
    const [fields, call] = splitOptions(options);
    return (await this.callUnary<{documents: Document[]}>('Get', {collection, ids, ...fields}, call, true)).documents;
  }

  // Parses, splits, embeds and stores raw documents (content as string or bytes).
  ingest(collection: string, documents: RawDocument[], options?: WithCall<IngestOptions>): Promise<IngestResult> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('Ingest', {collection, documents, ...fields}, call, false);
  }

  // Like ingest, streaming progress; the last message carries `result`.
  ingestStream(collection: string, documents: RawDocument[], options?: WithCall<IngestOptions>):
      AsyncGenerator<IngestProgress> {
    const [fields, call] = splitOptions(options);
    return this.callStream('IngestStream', {collection, documents, ...fields}, call, false);
  }

  // The best `k` hits for a text query or a query vector, best first.
  async search(collection: string, query: string | number[], options?: WithCall<SearchOptions>):
      Promise<SearchHit[]> {
    const [fields, call] = splitOptions(options);
    const request = typeof query === 'string' ? {collection, query, ...fields} : {collection, vector: query, ...fields};
    return (await this.callUnary<{hits: SearchHit[]}>('Search', request, call, true)).hits;
  }
}
