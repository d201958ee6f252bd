// Public types of the SDK: the catena.v1 messages as plain JS objects (camelCase fields, int64 as number, enums as
// short lowercase names, google.protobuf.Struct as plain objects, wrapper types as primitives). Hand-written from
// proto/catena/v1 (no generated code); fields the server leaves unset come back as '', 0, false, [] or null.

export type JsonValue = null | boolean | number | string | JsonValue[] | {[key: string]: JsonValue};
export type JsonObject = {[key: string]: JsonValue};
export type Bytes = string | Buffer | Uint8Array;

export interface Page { pageSize?: number; pageToken?: string }
export interface Usage { promptTokens: number; completionTokens: number; totalTokens: number; cachedPromptTokens: number }

export type Role = 'system' | 'user' | 'assistant' | 'tool' | 'unspecified';
export interface ToolCall { id: string; name: string; argumentsJson: string }
export interface ChatMessage {
  role: Role;
  content?: string;
  name?: string;
  toolCalls?: Partial<ToolCall>[];
  toolCallId?: string;
}
export interface ToolSpec { name: string; description?: string; parametersJsonSchema?: string }

export interface Document {
  id: string;
  text: string;
  metadata: JsonObject | null;
  source: string;
  embedding: number[];
  position: string;
}

// ---- ServerService
export interface ServerInfo { version: string; services: string[]; uptimeSeconds: number; tenant: string; requestId: string }

// ---- InferenceService
export type FinishReason = 'unspecified' | 'stop' | 'length' | 'tool_calls' | 'cancelled';
export interface SamplingParams {
  temperature?: number; topK?: number; topP?: number; minP?: number; repetitionPenalty?: number;
  frequencyPenalty?: number; presencePenalty?: number; logitBias?: Record<number, number>; seed?: number;
  maxTokens?: number; stop?: string[]; stopTokenIds?: number[]; topLogprobs?: number; logprobs?: boolean;
}
export interface ResponseFormat { kind?: 'text' | 'json_object' | 'json_schema'; jsonSchema?: string }
// A generated token's entry is followed by `alternatives` entries of its most likely alternatives; `text` is the
// vocabulary entry, `bytes` what the token adds to the output.
export interface TokenLogprob { tokenId: number; text: string; logprob: number; alternatives: number; bytes: Uint8Array }
export interface GenerateOptions { sampling?: SamplingParams; responseFormat?: ResponseFormat }
export interface ChatOptions extends GenerateOptions { tools?: ToolSpec[]; toolChoice?: string }
export interface GenerateChunk {
  textDelta: string; tokenIds: number[]; logprobs: TokenLogprob[]; finishReason: FinishReason; usage: Usage | null;
}
export interface ChatChunk {
  textDelta: string; toolCalls: ToolCall[]; logprobs: TokenLogprob[]; finishReason: FinishReason; usage: Usage | null;
}
export interface GenerateResult {
  text: string; tokenIds: number[]; logprobs: TokenLogprob[]; finishReason: FinishReason; usage: Usage | null;
}
export interface ChatResult {
  text: string; toolCalls: ToolCall[]; logprobs: TokenLogprob[]; finishReason: FinishReason; usage: Usage | null;
}
export interface TokenizeResult { tokenIds: number[]; pieces: string[] }
export interface ModelInfo {
  name: string; architecture: string; contextLength: number; loaded: boolean; backend: string;
  parameterCount: number; quantization: string; estimatedMemoryBytes: number;
}

// ---- EmbeddingService
export interface EmbedOptions { normalize?: boolean; inputKind?: 'document' | 'query' }
export interface EmbedResult { model: string; dimension: number; embeddings: number[][]; usage: Usage | null }
export interface EmbedderInfo { name: string; dimension: number; kind: string; maxInputTokens: number }

// ---- RetrievalService
export type Metric = 'cosine' | 'inner_product' | 'l2' | 'unspecified';
export type FieldType = 'string' | 'int' | 'float' | 'bool' | 'string_list' | 'timestamp';
export interface FieldSchema { name: string; type: FieldType; indexed?: boolean }
export interface CollectionSpec {
  dimension?: number; metric?: Metric; index?: string; embedder?: string; fields?: FieldSchema[];
  sparse?: boolean | null;
}
export interface Collection {
  name: string; spec: Required<CollectionSpec> | null; documentCount: number; indexTrained: boolean;
  createdAtUnixMs: number;
}
export interface DocumentInput {
  id?: string; text?: string; metadata?: JsonObject; source?: string; embedding?: number[]; position?: string;
}
export interface RawDocument { source?: string; content: Bytes; mimeType?: string; metadata?: Record<string, string> }
export interface IngestOptions { splitter?: {kind?: string; chunkSize?: number; chunkOverlap?: number}; textField?: string }
export interface IngestResult {
  documents: number; chunks: number; chunkIds: string[]; unchanged: number;
  failures: {source: string; error: string}[];
}
export interface IngestProgress {
  documentsDone: number; documentsTotal: number; chunksDone: number; source: string; result: IngestResult | null;
}
export interface SearchOptions {
  k?: number; mode?: 'dense' | 'sparse' | 'hybrid'; filter?: string; efSearch?: number; nprobe?: number;
  fusion?: string; denseWeight?: number; mmrLambda?: number; includeEmbeddings?: boolean;
}
export interface SearchHit { document: Document; score: number; denseScore: number; sparseScore: number; highlights: string[] }

// ---- MemoryService
export interface Session {
  id: string; userId: string; metadata: JsonObject | null; createdAtUnixMs: number; updatedAtUnixMs: number;
  messageCount: number;
}
export interface StoredMessage {
  seq: number; message: ChatMessage; metadata: JsonObject | null; createdAtUnixMs: number; tokenCount: number;
}
export interface ContextOptions {
  strategy?: 'window' | 'token_budget' | 'summary' | 'semantic'; lastN?: number; maxTokens?: number; model?: string;
  query?: string; k?: number;
}
export interface ContextResult { messages: ChatMessage[]; summary: string; tokenCount: number }
export interface Checkpoint {
  runId: string; step: number; parentStep: number; state: Buffer; createdAtUnixMs: number; userId: string;
}
// parentStep: -1 for a run's first checkpoint (the proto default 0 names step 0 as parent).
export interface CheckpointInput { runId: string; step: number; parentStep?: number; state?: Bytes; userId?: string }
export interface EraseUserResult {
  sessionsErased: number; messagesErased: number; summariesErased: number; factsErased: number;
  checkpointsErased: number;
}

// ---- PipelineService
export interface PipelineInput { name: string; type: string; required: boolean; description: string }
export interface Pipeline {
  name: string; version: string; description: string; source: string; createdAtUnixMs: number;
  inputs: PipelineInput[];
}
export interface PipelineProblem { file: string; line: number; column: number; node: string; message: string }
export interface ValidationResult { valid: boolean; problems: PipelineProblem[] }
export interface RunOptions { version?: string; source?: string; runId?: string; userId?: string }
export interface Interrupt { node: string; reason: string; payload: JsonObject | null }
export interface RunResult {
  runId: string; outputs: JsonObject | null; usage: Usage | null; state: string; interrupt: Interrupt | null;
}
export interface RunError { node: string; code: number; message: string }
export type RunEventKind = 'runStarted' | 'nodeStarted' | 'nodeFinished' | 'nodeSkipped' | 'token' | 'retrieved' |
    'toolCall' | 'toolResult' | 'interrupt' | 'final' | 'error';
// One event of a run; `event` names the one field that is set.
export interface RunEvent {
  runId: string;
  seq: number;
  timeUnixMs: number;
  event: RunEventKind;
  runStarted?: {pipeline: string; version: string; inputs: JsonObject | null};
  nodeStarted?: {node: string; nodeType: string};
  nodeFinished?: {node: string; durationMs: number; output: JsonObject | null};
  nodeSkipped?: {node: string};
  token?: {node: string; textDelta: string};
  retrieved?: {node: string; documents: Document[]; scores: number[]};
  toolCall?: {node: string; call: ToolCall};
  toolResult?: {node: string; toolCallId: string; resultJson: string; isError: boolean};
  interrupt?: Interrupt;
  final?: {outputs: JsonObject | null; usage: Usage | null};
  error?: RunError;
}
export interface RunTrace {
  runId: string; pipeline: string; version: string; state: string; inputs: JsonObject | null;
  outputs: JsonObject | null; usage: Usage | null; events: RunEvent[]; startedAtUnixMs: number;
  finishedAtUnixMs: number; error: RunError | null; source: string; userId: string;
}
// A page of a list call: the items under their field name and the token of the next page ('' at the end).
export type ListResult<K extends string, T> = {[P in K]: T[]} & {nextPageToken: string};
