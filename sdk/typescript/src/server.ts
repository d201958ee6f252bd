// ServerApi: catena.v1.ServerService (server info and ping). Reached as `catena.server`.
import {ServiceClient, splitOptions, WithCall} from './service_base';
import {Bytes, ServerInfo} from './types';
import {CallOptions, Transport} from './transport';

export class ServerApi extends ServiceClient {
  // rpc name -> method of this class.
  static readonly rpcs = {GetServerInfo: 'info', Ping: 'ping'} as const;

  constructor(transport: Transport) {
    super(transport, 'catena.v1.ServerService');
  }

  // Version, services, uptime, and the tenant and request id the server saw for this call.
  info(call: CallOptions = {}): Promise<ServerInfo> {
    return this.callUnary('GetServerInfo', {}, call, true);
  }

  // Echoes `payload` after `delayMs` on the server; resolves to the echoed bytes.
  async ping(payload: Bytes = '', options?: WithCall<{delayMs?: number}>): Promise<Buffer> {
    const [fields, call] = splitOptions(options);
    const response = await this.callUnary<{payload: Buffer}>('Ping', {payload, ...fields}, call, true);
    return response.payload;
  }
}
