// PipelinesApi: catena.v1.PipelineService (store, validate and list pipelines; run them collected or streamed;
// resume interrupted runs; read run traces). Reached as `catena.pipelines`.
import {ServiceClient, splitOptions, WithCall} from './service_base';
import {CallOptions, Transport} from './transport';
import {JsonObject, ListResult, Page, Pipeline, RunEvent, RunOptions, RunResult, RunTrace, ValidationResult} from './types';

export class PipelinesApi extends ServiceClient {
  static readonly rpcs = {
    PutPipeline: 'put', ValidatePipeline: 'validate', ListPipelines: 'list', GetPipeline: 'get',
    DeletePipeline: 'delete', Run: 'run', RunStream: 'stream', Resume: 'resume', GetRun: 'getRun',
  } as const;

  constructor(transport: Transport) {
    super(transport, 'catena.v1.PipelineService');
  }

  // Stores a pipeline file (YAML or JSON) as a new version; refused with its problems when invalid.
  put(source: string, options?: WithCall<{fileName?: string}>): Promise<Pipeline> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('PutPipeline', {source, ...fields}, call, true);
  }

  // Checks a pipeline file without storing it; every problem has file, line, column and node.
  validate(source: string, options?: WithCall<{fileName?: string}>): Promise<ValidationResult> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('ValidatePipeline', {source, ...fields}, call, true);
  }

  // One page of the tenant's pipelines (latest versions, without sources).
  list(options?: WithCall<{page?: Page}>): Promise<ListResult<'pipelines', Pipeline>> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('ListPipelines', fields, call, true);
  }

  // A stored pipeline with its source (the latest version unless `version` is given).
  get(name: string, options?: WithCall<{version?: string}>): Promise<Pipeline> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('GetPipeline', {name, ...fields}, call, true);
  }

  // Deletes every version of a pipeline.
  async delete(name: string, call: CallOptions = {}): Promise<void> {
    await this.callUnary('DeletePipeline', {name}, call, false);
  }

  // Runs a stored pipeline (or, with name '' and `source`, an inline one) to its end or first interrupt.
  run(name: string, inputs: JsonObject = {}, options?: WithCall<RunOptions>): Promise<RunResult> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('Run', {pipeline: name, inputs, ...fields}, call, false);
  }

  // Runs a pipeline, yielding its events as they happen (runStarted first, final or error last).
  stream(name: string, inputs: JsonObject = {}, options?: WithCall<RunOptions>): AsyncGenerator<RunEvent> {
    const [fields, call] = splitOptions(options);
    return this.callStream<RunEvent>('RunStream', {pipeline: name, inputs, ...fields}, call, false);
  }

  // Continues an interrupted run with the approval decision (and an optional payload), yielding its events.
  resume(runId: string, approved: boolean, options?: WithCall<{payload?: JsonObject}>): AsyncGenerator<RunEvent> {
    const [fields, call] = splitOptions(options);
    return this.callStream<RunEvent>('Resume', {runId, approved, ...fields}, call, false);
  }

  // The stored trace of a run: inputs, outputs, state and every event.
  getRun(runId: string, call: CallOptions = {}): Promise<RunTrace> {
    return this.callUnary('GetRun', {runId}, call, true);
  }
}
