// EmbeddingApi: catena.v1.EmbeddingService (embed texts, list embedders). Reached as `catena.embedding`.
import {ServiceClient, splitOptions, WithCall} from './service_base';
import {CallOptions, Transport} from './transport';
import {EmbedderInfo, EmbedOptions, EmbedResult, Usage} from './types';

export class EmbeddingApi extends ServiceClient {
  static readonly rpcs = {Embed: 'embed', ListEmbedders: 'listEmbedders'} as const;

  constructor(transport: Transport) {
    super(transport, 'catena.v1.EmbeddingService');
  }

  // Embeds `inputs` (one string or several) with `model`; one vector per input, in order.
  async embed(model: string, inputs: string | string[], options?: WithCall<EmbedOptions>): Promise<EmbedResult> {
    const [fields, call] = splitOptions(options);
    const request = {model, inputs: typeof inputs === 'string' ? [inputs] : inputs, ...fields};
    const response = await this.callUnary<{model: string; dimension: number; embeddings: {values: number[]}[];
      usage: Usage | null}>('Embed', request, call, true);
    return {...response, embeddings: response.embeddings.map((e) => e.values)};
  }

  // The embedders the server offers.
  async listEmbedders(call: CallOptions = {}): Promise<EmbedderInfo[]> {
    return (await this.callUnary<{embedders: EmbedderInfo[]}>('ListEmbedders', {}, call, true)).embedders;
  }
}
