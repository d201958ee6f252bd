// InferenceApi: catena.v1.InferenceService (text generation and chat, streamed or collected; tokenizer; model
// management). Reached as `catena.inference`.
import {ServiceClient, splitOptions, WithCall} from './service_base';
import {CallOptions, Transport} from './transport';
import {
  ChatChunk, ChatMessage, ChatOptions, ChatResult, GenerateChunk, GenerateOptions, GenerateResult, ModelInfo,
  TokenizeResult,
} from './types';

// Folds the chunks of a stream into one result: text joined, tool calls and logprobs appended, the last
// finish reason and usage kept.
async function collect<C extends GenerateChunk | ChatChunk>(chunks: AsyncIterable<C>) {
  const result = {text: '', tokenIds: [] as number[], toolCalls: [] as ChatResult['toolCalls'],
    logprobs: [] as GenerateResult['logprobs'], finishReason: 'unspecified' as GenerateResult['finishReason'],
    usage: null as GenerateResult['usage']};
  for await (const chunk of chunks) {
    result.text += chunk.textDelta;
    if ('tokenIds' in chunk) result.tokenIds.push(...chunk.tokenIds);
    if ('toolCalls' in chunk) result.toolCalls.push(...chunk.toolCalls);
    result.logprobs.push(...chunk.logprobs);
    if (chunk.finishReason !== 'unspecified') result.finishReason = chunk.finishReason;
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

export class InferenceApi extends ServiceClient {
  static readonly rpcs = {
    Generate: 'generateStream', Chat: 'chatStream', Tokenize: 'tokenize', ListModels: 'listModels',
    LoadModel: 'loadModel', UnloadModel: 'unloadModel',
  } as const;

  constructor(transport: Transport) {
    super(transport, 'catena.v1.InferenceService');
  }

  // Streams the completion of `prompt` by `model`, chunk by chunk.
  generateStream(model: string, prompt: string, options?: WithCall<GenerateOptions>): AsyncGenerator<GenerateChunk> {
    const [fields, call] = splitOptions(options);
    return this.callStream('Generate', {model, prompt, ...fields}, call, false);
  }

  // The whole completion of `prompt` (the chunks of generateStream folded together).
  async generate(model: string, prompt: string, options?: WithCall<GenerateOptions>): Promise<GenerateResult> {
    const {toolCalls: _unused, ...result} = await collect(this.generateStream(model, prompt, options));
    return result;
  }

  // Streams the reply of `model` to `messages`, chunk by chunk (text deltas, then tool calls and usage).
  chatStream(model: string, messages: ChatMessage[], options?: WithCall<ChatOptions>): AsyncGenerator<ChatChunk> {
    const [fields, call] = splitOptions(options);
    return this.callStream('Chat', {model, messages, ...fields}, call, false);
  }

  // The whole reply of `model` to `messages` (the chunks of chatStream folded together).
  async chat(model: string, messages: ChatMessage[], options?: WithCall<ChatOptions>): Promise<ChatResult> {
    const {tokenIds: _unused, ...result} = await collect(this.chatStream(model, messages, options));
    return result;
  }

  // Token ids and pieces of `text` under `model`'s tokenizer.
  tokenize(model: string, text: string, options?: WithCall<{addSpecialTokens?: boolean}>): Promise<TokenizeResult> {
    const [fields, call] = splitOptions(options);
    return this.callUnary('Tokenize', {model, text, ...fields}, call, true);
  }

  // Every configured model, loaded or not.
  async listModels(call: CallOptions = {}): Promise<ModelInfo[]> {
    return (await this.callUnary<{models: ModelInfo[]}>('ListModels', {}, call, true)).models;
  }

  // Loads a configured model; resolves to its info (loaded: true).
  loadModel(name: string, call: CallOptions = {}): Promise<ModelInfo> {
    return this.callUnary('LoadModel', {name}, call, true);
  }

  // Unloads a model, freeing its memory.
  async unloadModel(name: string, call: CallOptions = {}): Promise<void> {
    await this.callUnary('UnloadModel', {name}, call, true);
  }
}
