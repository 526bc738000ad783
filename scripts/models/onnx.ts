/**
 * A dependency-free ONNX writer: just the protobuf subset the tiny test models need (IR 8,
 * opset ai.onnx 14), so `npm install` can build them in plain Node with no Python and no network.
 *
 * Field numbers (onnx.proto): ModelProto ir_version=1 producer_name=2 graph=7 opset_import=8;
 * GraphProto node=1 name=2 initializer=5 input=11 output=12; NodeProto input=1 output=2 name=3
 * op_type=4 attribute=5; AttributeProto name=1 f=2 i=3 t=5 ints=8 type=20; TensorProto dims=1
 * data_type=2 name=8 raw_data=9; ValueInfoProto name=1 type=2; TypeProto tensor_type=1
 * (elem_type=1, shape=2 (dim=1: dim_value=1 | dim_param=2)).
 *
 * The output is a pure function of the graph: the same graph gives the same bytes on every run.
 */

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, BOOL: 9, INT64: 7 } as const;
type DataTypeValue = (typeof DataType)[keyof typeof DataType];

/** A tensor dimension: a fixed size or a symbolic name (`batch_size`, `sequence_length`, ...). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  type: DataTypeValue;
  shape: Dim[];
}

export interface Initializer {
  name: string;
  type: typeof DataType.FLOAT | typeof DataType.INT64;
  dims: number[];
  /** float32 values for FLOAT, integers for INT64, row-major. */
  values: ArrayLike<number>;
}

export type AttributeValue = { int: number } | { ints: number[] } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface GraphSpec {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Initializer[];
  nodes: NodeSpec[];
}

const IR_VERSION = 8;
const OPSET = 14;

/** Encodes a whole model. */
export function encodeModel(graph: GraphSpec): Uint8Array {
  const w = new Writer();
  w.varintField(1, IR_VERSION);
  w.stringField(2, 'stepwise-gen-models');
  w.messageField(7, encodeGraph(graph));
  const opset = new Writer();
  opset.stringField(1, '');
  opset.varintField(2, OPSET);
  w.messageField(8, opset.bytes());
  return w.bytes();
}

function encodeGraph(g: GraphSpec): Uint8Array {
  const w = new Writer();
  g.nodes.forEach((n, i) => w.messageField(1, encodeNode(n, `${n.op.toLowerCase()}_${i}`)));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.messageField(5, encodeTensor(t));
  for (const v of g.inputs) w.messageField(11, encodeValueInfo(v));
  for (const v of g.outputs) w.messageField(12, encodeValueInfo(v));
  return w.bytes();
}

function encodeNode(n: NodeSpec, name: string): Uint8Array {
  const w = new Writer();
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  w.stringField(3, name);
  w.stringField(4, n.op);
  for (const [key, value] of Object.entries(n.attributes ?? {})) w.messageField(5, encodeAttribute(key, value));
  return w.bytes();
}

function encodeAttribute(name: string, value: AttributeValue): Uint8Array {
  const w = new Writer();
  w.stringField(1, name);
  if ('float' in value) {
    w.fixed32FloatField(2, value.float);
    w.varintField(20, 1);
  } else if ('int' in value) {
    w.varintField(3, value.int);
    w.varintField(20, 2);
  } else {
    for (const i of value.ints) w.varintField(8, i); // unpacked: what onnx's own writer emits
    w.varintField(20, 7);
  }
  return w.bytes();
}

function encodeTensor(t: Initializer): Uint8Array {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.values.length !== count) throw new Error(`initializer ${t.name}: ${t.values.length} values for dims [${t.dims.join(',')}]`);
  const w = new Writer();
  for (const d of t.dims) w.varintField(1, d);
  w.varintField(2, t.type);
  w.stringField(8, t.name);
  const raw = new DataView(new ArrayBuffer(count * (t.type === DataType.FLOAT ? 4 : 8)));
  for (let i = 0; i < count; i++) {
    if (t.type === DataType.FLOAT) raw.setFloat32(i * 4, t.values[i]!, true);
    else raw.setBigInt64(i * 8, BigInt(t.values[i]!), true);
  }
  w.bytesField(9, new Uint8Array(raw.buffer));
  return w.bytes();
}

function encodeValueInfo(v: ValueInfo): Uint8Array {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (typeof d === 'number') dim.varintField(1, d);
    else dim.stringField(2, d);
    shape.messageField(1, dim.bytes());
  }
  const tensorType = new Writer();
  tensorType.varintField(1, v.type);
  tensorType.messageField(2, shape.bytes());
  const type = new Writer();
  type.messageField(1, tensorType.bytes());
  const w = new Writer();
  w.stringField(1, v.name);
  w.messageField(2, type.bytes());
  return w.bytes();
}

/** Protobuf wire encoding: varint (0), fixed32 (5) and length-delimited (2) fields. */
class Writer {
  readonly #chunks: number[] = [];

  bytes(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }

  varintField(field: number, value: number): void {
    this.#key(field, 0);
    this.#varint(BigInt(value));
  }

  fixed32FloatField(field: number, value: number): void {
    this.#key(field, 5);
    const b = new DataView(new ArrayBuffer(4));
    b.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.#chunks.push(b.getUint8(i));
  }

  stringField(field: number, value: string): void {
    this.bytesField(field, new TextEncoder().encode(value));
  }

  messageField(field: number, value: Uint8Array): void {
    this.bytesField(field, value);
  }

  bytesField(field: number, value: Uint8Array): void {
    this.#key(field, 2);
    this.#varint(BigInt(value.length));
    for (const b of value) this.#chunks.push(b);
  }

  #key(field: number, wireType: number): void {
    this.#varint(BigInt((field << 3) | wireType));
  }

  /** int64 as 64-bit two's complement: a negative value takes 10 bytes. */
  #varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.#chunks.push(byte);
    } while (v !== 0n);
  }
}
