// Shared helpers of the TypeScript SDK tests: the compiled SDK and its grpc-js (from the build folder CMake
// passes as CATENA_TS_SDK_DIR), starting a real catenad on free ports (CATENAD), the repository's protos loaded
// independently of the SDK, and a self-signed certificate made with openssl.
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment ${name} is not set (the tests are run by ctest)`);
  return value;
}

export const SDK_DIR = path.resolve(required('CATENA_TS_SDK_DIR'));
const require = createRequire(path.join(SDK_DIR, 'package.json'));
export const sdk = require(SDK_DIR);
export const grpc = require('@grpc/grpc-js');
export const protoLoader = require('@grpc/proto-loader');
export const REPO_PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../proto');

// The repository's service definitions, loaded here with proto-loader, not through the SDK.
export function loadRepositoryServices() {
  const files = fs.readdirSync(path.join(REPO_PROTO_DIR, 'catena/v1')).map((f) => `catena/v1/${f}`);
  const definition = protoLoader.loadSync(files, {includeDirs: [REPO_PROTO_DIR], defaults: true, oneofs: true});
  const services = {};
  for (const [name, entry] of Object.entries(definition)) {
    if (!entry.format && name.startsWith('catena.')) services[name] = entry;
  }
  return services;
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Reads lines of `stream` until one matches `pattern` or `timeoutMs` passes.
function waitForLine(stream, pattern, timeoutMs, describe) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${describe()}`)), timeoutMs);
    const onData = (chunk) => {
      buffer += chunk;
      const match = buffer.match(pattern);
      if (match) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(match);
      }
    };
    stream.setEncoding('utf8');
    stream.on('data', onData);
    stream.on('end', () => reject(new Error(`catenad exited before ${pattern}: ${buffer} ${describe()}`)));
  });
}

// Starts catenad on free ports with its own data dir; resolves to {address, stop()}.
export async function startCatenad(args = []) {
  const catenad = required('CATENAD');
  const dataDir = tempDir('catenad-ts-');
  const child = spawn(catenad, ['--grpc-port', '0', '--http-port', '0', '--data-dir', dataDir, '--log-level', 'warn',
    ...args], {stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const match = await waitForLine(child.stdout, /ready: grpc=(\S+) http=(\S+) /, 30_000, () => stderr);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    address: match[1],
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(dataDir, {recursive: true, force: true});
    },
  };
}

// A self-signed certificate for localhost and 127.0.0.1: {cert, key} as PEM buffers.
export function selfSignedCertificate(dir, name = 'server') {
  const keyPath = path.join(dir, `${name}.key`);
  const certPath = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath,
    '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
  {stdio: 'ignore'});
  return {cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath)};
}

// Starts a grpc-js server with `services` ({definition, implementation} pairs); resolves to {address, server}.
export function startFakeServer(services, credentials = grpc.ServerCredentials.createInsecure()) {
  const server = new grpc.Server();
  for (const {definition, implementation} of services) server.addService(definition, implementation);
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (error, port) => {
      if (error) reject(error);
      else resolve({address: `127.0.0.1:${port}`, server});
    });
  });
}

// Collects every item of an async iterable.
export async function collect(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}
