// MemoryApi: catena.v1.MemoryService (sessions, messages, context windows, user facts, run checkpoints, erasure).
// Reached as `catena.memory`.
import {ServiceClient, splitOptions, WithCall} from './service_base';
import {CallOptions, Transport} from './transport';
import {
  ChatMessage, Checkpoint, CheckpointInput, ContextOptions, ContextResult, EraseUserResult, JsonObject, ListResult,
  Page, Session, StoredMessage,
} from './types';

export class MemoryApi extends ServiceClient {
  static readonly rpcs = {
    CreateSession: 'createSession', GetSession: 'getSession', ListSessions: 'listSessions',
    DeleteSession: 'deleteSession', AppendMessages: 'appendMessages', ListMessages: 'listMessages',
    GetContext: 'getContext', PutFacts: 'putFacts', GetFacts: 'getFacts', PutCheckpoint: 'putCheckpoint',
    GetCheckpoint: 'getCheckpoint', ListCheckpoints: 'listCheckpoints', EraseUser: 'eraseUser',
  } as const;

  constructor(transport: Transport) {
    super(transport, 'catena.v1.MemoryService');
  }

  // Creates a session (the server picks the id when `id` is omitted).
  createSession(session: {id?: string; userId?: string; metadata?: JsonObject} = {}, call: CallOptions = {}):
      Promise<Session> {
    return this.callUnary('CreateSession', session, call, false);
  }

  // The session with its message count; NotFoundError when missing.
  getSession(id: string, call: CallOptions = {}): Promise<Session> {
    return this.callUnary('GetSession', {id}, call, true);
  }

  // One page of sessions, optionally of one user.
  listSessions(options?: WithCall<{userId?: string; page?: Page}>): Promise<ListResult<'sessions', Session>> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('ListSessions', fields, call, true);
  }

  // Deletes the session and its messages.
  async deleteSession(id: string, call: CallOptions = {}): Promise<void> {
    await this.callUnary('DeleteSession', {id}, call, false);
  }

  // Appends messages; resolves to their sequence numbers. With an idempotencyKey a repeat appends nothing, so
  // the call is retried on UNAVAILABLE.
  async appendMessages(sessionId: string, messages: ChatMessage[], options?: WithCall<{idempotencyKey?: string}>):
      Promise<number[]> {
    const [fields, call] = splitOptions(options);
    const request = {sessionId, messages, ...fields};
    return (await this.callUnary<{seqs: number[]}>('AppendMessages', request, call, Boolean(fields.idempotencyKey))).seqs;
  }

  // One page of a session's messages, oldest first (newest first with reverse).
  listMessages(sessionId: string, options?: WithCall<{reverse?: boolean; page?: Page}>):
      Promise<ListResult<'messages', StoredMessage>> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('ListMessages', {sessionId, ...fields}, call, true);
  }

  // The messages to put in front of a model for this session, chosen by `strategy`.
  getContext(sessionId: string, options?: WithCall<ContextOptions>): Promise<ContextResult> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('GetContext', {sessionId, ...fields}, call, true);
  }

  // Sets facts (key -> value) about a user, replacing values of the same keys.
  async putFacts(userId: string, facts: Record<string, string>, call: CallOptions = {}): Promise<void> {
    await this.callUnary('PutFacts', {userId, facts}, call, true);
  }

  // Every fact stored about the user.
  async getFacts(userId: string, call: CallOptions = {}): Promise<Record<string, string>> {
    return (await this.callUnary<{facts: Record<string, string>}>('GetFacts', {userId}, call, true)).facts;
  }

  // Stores a run checkpoint (parentStep -1 for a run's first); FAILED_PRECONDITION when the parent is missing.
  putCheckpoint(checkpoint: CheckpointInput, call: CallOptions = {}): Promise<Checkpoint> {
    return this.callUnary('PutCheckpoint', {checkpoint}, call, false);
  }

  // The checkpoint of `runId` at `step` (the latest when step is omitted or -1).
  getCheckpoint(runId: string, options?: WithCall<{step?: number}>): Promise<Checkpoint> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('GetCheckpoint', {runId, step: fields.step ?? -1}, call, true);
  }

  // One page of a run's checkpoints.
  listCheckpoints(runId: string, options?: WithCall<{page?: Page}>): Promise<ListResult<'checkpoints', Checkpoint>> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('ListCheckpoints', {runId, ...fields}, call, true);
  }

  // Erases everything stored about a user; resolves to the counts erased.
  eraseUser(userId: string, call: CallOptions = {}): Promise<EraseUserResult> {
    return this.callUnary('EraseUser', {userId}, call, false);
  }
}
