// Converts between the plain JS objects of the public API and proto-loader's wire objects, driven by the message
// descriptors: google.protobuf.Struct/Value/ListValue <-> objects/values/arrays, wrapper types <-> primitives or
// null, enums <-> short lowercase names ('user' for ROLE_USER), strings -> bytes (UTF-8). Unknown fields and
// values of the wrong type are refused with an InvalidArgumentError naming the path. Stateless; thread-safe.
import {InvalidArgumentError} from './errors';
import {EnumDescriptor, FieldDescriptor, MessageDescriptor, Protos, resolveTypeName} from './protos';

type Json = null | boolean | number | string | Json[] | {[key: string]: Json};
type WireObject = Record<string, unknown>;

const WRAPPERS = new Set([
  'google.protobuf.DoubleValue', 'google.protobuf.FloatValue', 'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value', 'google.protobuf.Int32Value', 'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue', 'google.protobuf.StringValue', 'google.protobuf.BytesValue',
]);
const NUMERIC = new Set([
  'TYPE_DOUBLE', 'TYPE_FLOAT', 'TYPE_INT32', 'TYPE_UINT32', 'TYPE_SINT32', 'TYPE_FIXED32', 'TYPE_SFIXED32',
]);
const INT64 = new Set(['TYPE_INT64', 'TYPE_UINT64', 'TYPE_SINT64', 'TYPE_FIXED64', 'TYPE_SFIXED64']);

function fail(path: string, message: string): never {
  throw new InvalidArgumentError(`${path}: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function toCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

// The prefix every value name of an enum shares ('FINISH_REASON_'), cut before the short name.
const prefixCache = new WeakMap<EnumDescriptor, string>();
function enumPrefix(descriptor: EnumDescriptor): string {
  const cached = prefixCache.get(descriptor);
  if (cached !== undefined) return cached;
  const names = descriptor.value.map((v) => v.name);
  let common = names[0] ?? '';
  for (const name of names) while (!name.startsWith(common)) common = common.slice(0, -1);
  const prefix = names.length > 1 ? common.slice(0, common.lastIndexOf('_') + 1) : '';
  prefixCache.set(descriptor, prefix);
  return prefix;
}

// Short lowercase names of an enum's values, for messages and documentation.
export function enumShortNames(descriptor: EnumDescriptor): string[] {
  const prefix = enumPrefix(descriptor);
  return descriptor.value.map((v) => v.name.slice(prefix.length).toLowerCase());
}

function enumToWire(descriptor: EnumDescriptor, value: unknown, path: string): string | number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const full = descriptor.value.find((v) => v.name === value || v.name === enumPrefix(descriptor) + value.toUpperCase());
    if (full) return full.name;
  }
  return fail(path, `unknown value ${JSON.stringify(value)}; expected one of ${enumShortNames(descriptor).join(', ')}`);
}

function enumFromWire(descriptor: EnumDescriptor, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const prefix = enumPrefix(descriptor);
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase() : value;
}

// A JS value as a google.protobuf.Value wire object.
export function valueToWire(value: unknown, path: string): WireObject {
  if (value === null || value === undefined) return {nullValue: 'NULL_VALUE'};
  if (typeof value === 'number') return {numberValue: value};
  if (typeof value === 'string') return {stringValue: value};
  if (typeof value === 'boolean') return {boolValue: value};
  if (Array.isArray(value)) return {listValue: {values: value.map((item, i) => valueToWire(item, `${path}[${i}]`))}};
  if (isPlainObject(value)) return {structValue: structToWire(value, path)};
  return fail(path, `${typeof value} cannot be sent in a google.protobuf.Struct`);
}

// A plain object as a google.protobuf.Struct wire object.
export function structToWire(value: unknown, path: string): WireObject {
  if (!isPlainObject(value)) fail(path, 'expected an object');
  const fields: Record<string, WireObject> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) fields[key] = valueToWire(item, `${path}.${key}`);
  }
  return {fields};
}

// A google.protobuf.Value wire object as a JS value.
export function valueFromWire(value: unknown): Json {
  if (!isPlainObject(value)) return null;
  switch (value.kind) {
    case 'numberValue': return value.numberValue as number;
    case 'stringValue': return value.stringValue as string;
    case 'boolValue': return value.boolValue as boolean;
    case 'listValue': return ((value.listValue as WireObject | null)?.values as unknown[] ?? []).map(valueFromWire);
    case 'structValue': return structFromWire(value.structValue);
    default: return null;
  }
}

// A google.protobuf.Struct wire object as a plain object.
export function structFromWire(value: unknown): {[key: string]: Json} {
  const out: {[key: string]: Json} = {};
  if (!isPlainObject(value) || !isPlainObject(value.fields)) return out;
  for (const [key, item] of Object.entries(value.fields)) out[key] = valueFromWire(item);
  return out;
}

function scalarToWire(field: FieldDescriptor, value: unknown, path: string): unknown {
  if (field.type === 'TYPE_STRING') {
    if (typeof value !== 'string') fail(path, `expected a string, got ${typeof value}`);
  } else if (field.type === 'TYPE_BOOL') {
    if (typeof value !== 'boolean') fail(path, `expected a boolean, got ${typeof value}`);
  } else if (field.type === 'TYPE_BYTES') {
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    fail(path, `expected a string, Buffer or Uint8Array, got ${typeof value}`);
  } else if (NUMERIC.has(field.type)) {
    if (typeof value !== 'number') fail(path, `expected a number, got ${typeof value}`);
  } else if (INT64.has(field.type)) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+$/.test(value))) {
      fail(path, `expected an integer, got ${typeof value}`);
    }
  }
  return value;
}

export class Converter {
  constructor(private readonly protos: Protos) {}

  // Converts a public request object of message `typeName` to a wire object; throws InvalidArgumentError.
  toWire(typeName: string, value: unknown, path = typeName): WireObject {
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value)) fail(path, `expected an object for ${typeName}`);
    const descriptor = this.message(typeName);
    const out: WireObject = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || item === null) continue;
      const field = descriptor.field.find((f) => f.name === key || f.name === toCamel(key));
      if (!field) {
        const names = descriptor.field.map((f) => f.name).join(', ');
        fail(`${path}.${key}`, `unknown field of ${typeName} (fields: ${names || 'none'})`);
      }
      out[field.name] = this.fieldToWire(typeName, field, item, `${path}.${key}`);
    }
    return out;
  }

  // Converts a wire object of message `typeName` to its public form.
  fromWire<T = Record<string, unknown>>(typeName: string, value: unknown): T {
    return this.messageFromWire(typeName, value) as T;
  }

  private message(typeName: string): MessageDescriptor {
    const descriptor = this.protos.messages.get(typeName);
    if (!descriptor) throw new Error(`unknown message type ${typeName}`);
    return descriptor;
  }

  private fieldToWire(scope: string, field: FieldDescriptor, value: unknown, path: string): unknown {
    const typeName = field.typeName ? resolveTypeName(this.protos, scope, field.typeName) : '';
    const entry = typeName ? this.protos.messages.get(typeName) : undefined;
    if (entry?.options?.mapEntry) {
      if (!isPlainObject(value)) fail(path, 'expected an object (a map)');
      const valueField = entry.field.find((f) => f.name === 'value') as FieldDescriptor;
      const out: WireObject = {};
      for (const [key, item] of Object.entries(value)) {
        out[key] = this.singleToWire(typeName, valueField, item, `${path}.${key}`);
      }
      return out;
    }
    if (field.label === 'LABEL_REPEATED') {
      if (!Array.isArray(value)) fail(path, `expected an array, got ${typeof value}`);
      return value.map((item, i) => this.singleToWire(scope, field, item, `${path}[${i}]`));
    }
    return this.singleToWire(scope, field, value, path);
  }

  private singleToWire(scope: string, field: FieldDescriptor, value: unknown, path: string): unknown {
    if (field.type === 'TYPE_ENUM') {
      const name = resolveTypeName(this.protos, scope, field.typeName);
      return enumToWire(this.protos.enums.get(name) as EnumDescriptor, value, path);
    }
    if (field.type !== 'TYPE_MESSAGE') return scalarToWire(field, value, path);
    const typeName = resolveTypeName(this.protos, scope, field.typeName);
    if (typeName === 'google.protobuf.Struct') return structToWire(value, path);
    if (typeName === 'google.protobuf.Value') return valueToWire(value, path);
    if (typeName === 'google.protobuf.ListValue') {
      if (!Array.isArray(value)) fail(path, 'expected an array');
      return {values: value.map((item, i) => valueToWire(item, `${path}[${i}]`))};
    }
    if (WRAPPERS.has(typeName)) {
      const inner = this.message(typeName).field[0];
      return {value: scalarToWire(inner, value, path)};
    }
    return this.toWire(typeName, value, path);
  }

  private messageFromWire(typeName: string, value: unknown): unknown {
    if (typeName === 'google.protobuf.Struct') return structFromWire(value);
    if (typeName === 'google.protobuf.Value') return valueFromWire(value);
    if (typeName === 'google.protobuf.ListValue') {
      return isPlainObject(value) ? ((value.values as unknown[]) ?? []).map(valueFromWire) : [];
    }
    if (WRAPPERS.has(typeName)) return isPlainObject(value) ? value.value : null;
    if (!isPlainObject(value)) return null;
    const descriptor = this.message(typeName);
    const out: Record<string, unknown> = {};
    for (const oneof of descriptor.oneofDecl ?? []) {
      if (value[oneof.name] !== undefined) out[oneof.name] = value[oneof.name];
    }
    for (const field of descriptor.field) {
      if (!(field.name in value)) continue;
      out[field.name] = this.fieldFromWire(typeName, field, value[field.name]);
    }
    return out;
  }

  private fieldFromWire(scope: string, field: FieldDescriptor, value: unknown): unknown {
    const typeName = field.typeName ? resolveTypeName(this.protos, scope, field.typeName) : '';
    const entry = typeName ? this.protos.messages.get(typeName) : undefined;
    if (entry?.options?.mapEntry) {
      const valueField = entry.field.find((f) => f.name === 'value') as FieldDescriptor;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries((value as WireObject) ?? {})) {
        out[key] = this.singleFromWire(typeName, valueField, item);
      }
      return out;
    }
    if (field.label === 'LABEL_REPEATED') {
      return ((value as unknown[]) ?? []).map((item) => this.singleFromWire(scope, field, item));
    }
    return this.singleFromWire(scope, field, value);
  }

  private singleFromWire(scope: string, field: FieldDescriptor, value: unknown): unknown {
    if (field.type === 'TYPE_ENUM') {
      const name = resolveTypeName(this.protos, scope, field.typeName);
      return enumFromWire(this.protos.enums.get(name) as EnumDescriptor, value);
    }
    if (field.type !== 'TYPE_MESSAGE') return value;
    if (value === null || value === undefined) return null;
    return this.messageFromWire(resolveTypeName(this.protos, scope, field.typeName), value);
  }
}
