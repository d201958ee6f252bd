// Loads the catena.v1 protos with @grpc/proto-loader (no generated code) and indexes every message and enum
// descriptor by full name, so convert.ts can walk any message. Used by Transport; loaded once per process and
// read-only afterwards.
import * as fs from 'fs';
import * as path from 'path';
import * as protoLoader from '@grpc/proto-loader';

// The proto files of catena.v1, relative to the proto directory.
export const PROTO_FILES = [
  'catena/v1/common.proto',
  'catena/v1/server.proto',
  'catena/v1/inference.proto',
  'catena/v1/embedding.proto',
  'catena/v1/retrieval.proto',
  'catena/v1/memory.proto',
  'catena/v1/pipeline.proto',
];

// The services the SDK wraps, by full name.
export const SERVICE_NAMES = [
  'catena.v1.ServerService',
  'catena.v1.InferenceService',
  'catena.v1.EmbeddingService',
  'catena.v1.RetrievalService',
  'catena.v1.MemoryService',
  'catena.v1.PipelineService',
] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

// The shape of descriptors proto-loader exposes (google.protobuf.DescriptorProto as a plain object).
export interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
  oneofIndex: number;
  proto3Optional: boolean;
}

export interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  enumType: EnumDescriptor[];
  oneofDecl: {name: string}[];
  options: {mapEntry?: boolean} | null;
}

export interface EnumDescriptor {
  name: string;
  value: {name: string; number: number}[];
}

export interface Protos {
  definition: protoLoader.PackageDefinition;
  messages: Map<string, MessageDescriptor>;
  enums: Map<string, EnumDescriptor>;
}

// How the wire objects look: camelCase fields, int64 as numbers, enums as names, defaults filled, oneof names.
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

// The directory holding catena/v1/*.proto: `explicit`, else the package's proto/ (copied at build time), else
// the repository's proto/ when running from a checkout.
export function findProtoDir(explicit?: string): string {
  const candidates = explicit
    ? [explicit]
    : [path.resolve(__dirname, '..', 'proto'), path.resolve(__dirname, '..', '..', '..', 'proto')];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'catena', 'v1', 'pipeline.proto'))) return dir;
  }
  throw new Error(`catena protos not found (looked for catena/v1/pipeline.proto in ${candidates.join(', ')})`);
}

const cache = new Map<string, Protos>();

// Loads (once per directory) and indexes the protos.
export function loadProtos(protoDir?: string): Protos {
  const dir = findProtoDir(protoDir);
  const cached = cache.get(dir);
  if (cached) return cached;
  const definition = protoLoader.loadSync(PROTO_FILES, {...LOADER_OPTIONS, includeDirs: [dir]});
  const protos: Protos = {definition, messages: new Map(), enums: new Map()};
  for (const [name, entry] of Object.entries(definition)) {
    const format = (entry as {format?: string}).format ?? '';
    const type = (entry as {type?: unknown}).type;
    if (format.endsWith('EnumDescriptorProto')) protos.enums.set(name, type as EnumDescriptor);
    else if (format.endsWith('DescriptorProto')) indexMessage(protos, name, type as MessageDescriptor);
  }
  cache.set(dir, protos);
  return protos;
}

function indexMessage(protos: Protos, fullName: string, descriptor: MessageDescriptor): void {
  protos.messages.set(fullName, descriptor);
  for (const nested of descriptor.nestedType ?? []) indexMessage(protos, `${fullName}.${nested.name}`, nested);
  for (const nested of descriptor.enumType ?? []) protos.enums.set(`${fullName}.${nested.name}`, nested);
}

// Resolves a field's type name the way protoc scopes names: innermost enclosing scope first.
export function resolveTypeName(protos: Protos, scope: string, typeName: string): string {
  if (typeName.startsWith('.')) return typeName.slice(1);
  const parts = scope.split('.');
  for (let n = parts.length; n >= 0; --n) {
    const candidate = [...parts.slice(0, n), typeName].join('.');
    if (protos.messages.has(candidate) || protos.enums.has(candidate)) return candidate;
  }
  return typeName;
}
