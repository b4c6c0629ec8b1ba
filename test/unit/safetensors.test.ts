import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/import/errors.js';
import {
  f16ToF32,
  readSafetensors,
  readSafetensorsMetadata,
  writeSafetensors,
} from '../../src/import/safetensors.js';

/** Build a safetensors file from an arbitrary header value and data bytes. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerLen?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

function catchErr(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectFormatError(bytes: Uint8Array, file: string, tensor: string | undefined, re: RegExp): ModelFormatError {
  const e = catchErr(() => readSafetensors(bytes, file));
  expect(e).toBeInstanceOf(ModelFormatError);
  const err = e as ModelFormatError;
  expect(err.file).toBe(file);
  expect(err.message.startsWith(`${file}: `)).toBe(true);
  if (tensor !== undefined) {
    expect(err.tensor).toBe(tensor);
    expect(err.message).toContain(`tensor '${tensor}'`);
  }
  expect(err.message).toMatch(re);
  return err;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('safetensors round trip', () => {
  it('writes and reads back F32 tensors and metadata', () => {
    const a = new Float32Array([1, -2.5, 3.25, Math.PI, -0, 1e-30]);
    const b = new Float32Array([42]);
    const c = new Float32Array(0);
    const bytes = writeSafetensors(
      [
        { name: 'features.0.0.weight', shape: [2, 3], data: a },
        { name: 'scalar', shape: [], data: b },
        { name: 'empty', shape: [0, 4], data: c },
      ],
      { format: 'pt', note: 'ünïcode ✓' },
    );
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const m = readSafetensors(bytes);
    expect([...m.keys()]).toEqual(['features.0.0.weight', 'scalar', 'empty']);
    const t = m.get('features.0.0.weight')!;
    expect(t.dtype).toBe('F32');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual(Array.from(a));
    expect(Object.is(t.data[4], -0)).toBe(true);
    expect(t.raw).toEqual(bytesOf(a));
    expect(t.data.buffer).not.toBe(t.raw.buffer);
    expect(m.get('scalar')!.shape).toEqual([]);
    expect(Array.from(m.get('scalar')!.data)).toEqual([42]);
    expect(m.get('empty')!.data.length).toBe(0);
    expect(readSafetensorsMetadata(bytes)).toEqual({ format: 'pt', note: 'ünïcode ✓' });
  });

  it('works on a Node Buffer at a non-zero, unaligned byteOffset', () => {
    const a = new Float32Array([1, 2, 3, 4]);
    const file = writeSafetensors([{ name: 'w', shape: [4], data: a }]);
    const big = Buffer.alloc(file.length + 3);
    big.set(file, 3);
    const view = big.subarray(3);
    const t = readSafetensors(view).get('w')!;
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
    // The result must not alias the input.
    view[view.length - 1] ^= 0xff;
    expect(t.data[3]).toBe(4);
  });

  it('rejects bad writer input', () => {
    expect(() => writeSafetensors([{ name: 'x', shape: [3], data: new Float32Array(2) }])).toThrow(/3 elements/);
    expect(() =>
      writeSafetensors([
        { name: 'x', shape: [1], data: new Float32Array(1) },
        { name: 'x', shape: [1], data: new Float32Array(1) },
      ]),
    ).toThrow(/duplicate/);
  });
});

describe('safetensors dtypes', () => {
  it('converts F16 by hand, including subnormals, inf and NaN', () => {
    const halves = [0x0000, 0x8000, 0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00];
    const expected = [0, -0, 1, -2, 0.333251953125, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, NaN];
    const data = bytesOf(new Uint16Array(halves));
    // Unaligned offset: one padding byte before the tensor.
    const padded = new Uint8Array(1 + data.length);
    padded.set(data, 1);
    const bytes = build(
      {
        pad: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        h: { dtype: 'F16', shape: [halves.length], data_offsets: [1, 1 + data.length] },
      },
      padded,
    );
    const t = readSafetensors(bytes).get('h')!;
    expect(t.dtype).toBe('F16');
    expect(t.raw).toEqual(data);
    for (let i = 0; i < halves.length; i++) {
      expect(Object.is(t.data[i], Math.fround(expected[i])), `half 0x${halves[i].toString(16)}`).toBe(true);
      expect(Object.is(f16ToF32(halves[i]), expected[i])).toBe(true);
    }
  });

  it('converts BF16 bit-exactly', () => {
    const vals = [1, -2, 0.5, 3.140625, -0, Infinity, 1e38];
    const f = new Float32Array(vals);
    const bits = new Uint32Array(f.buffer);
    const bf = new Uint16Array(vals.length);
    for (let i = 0; i < vals.length; i++) bf[i] = bits[i] >>> 16; // truncation
    const bytes = build({ b: { dtype: 'BF16', shape: [7], data_offsets: [0, 14] } }, bytesOf(bf));
    const t = readSafetensors(bytes).get('b')!;
    const expectBits = new Uint32Array(vals.length);
    for (let i = 0; i < vals.length; i++) expectBits[i] = bf[i] << 16;
    expect(Array.from(new Uint32Array(t.data.buffer))).toEqual(Array.from(expectBits));
    expect(Array.from(t.data.slice(0, 4))).toEqual([1, -2, 0.5, 3.140625]);
  });

  it('converts I64 / I32 / I16 / I8 / U8 / BOOL / F64 to numbers', () => {
    const i64 = bytesOf(new BigInt64Array([0n, -1n, 123456789n, -(2n ** 40n)]));
    const i32 = bytesOf(new Int32Array([-7, 2 ** 30]));
    const i16 = bytesOf(new Int16Array([-32768, 5]));
    const i8 = bytesOf(new Int8Array([-128, 127]));
    const u8 = new Uint8Array([0, 255]);
    const bool = new Uint8Array([1, 0, 1]);
    const f64 = bytesOf(new Float64Array([0.1, -1e300]));
    const parts = [i64, i32, i16, i8, u8, bool, f64];
    const names = ['I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F64'];
    const counts = [4, 2, 2, 2, 2, 3, 2];
    const header: Record<string, unknown> = { __metadata__: { k: 'v' } };
    let off = 0;
    parts.forEach((p, i) => {
      header[`t_${names[i]}`] = { dtype: names[i], shape: [counts[i]], data_offsets: [off, off + p.length] };
      off += p.length;
    });
    const data = new Uint8Array(off);
    off = 0;
    for (const p of parts) {
      data.set(p, off);
      off += p.length;
    }
    const m = readSafetensors(build(header, data));
    expect(m.has('__metadata__')).toBe(false);
    expect(Array.from(m.get('t_I64')!.data)).toEqual([0, -1, Math.fround(123456789), -(2 ** 40)]);
    expect(Array.from(m.get('t_I32')!.data)).toEqual([-7, 2 ** 30]);
    expect(Array.from(m.get('t_I16')!.data)).toEqual([-32768, 5]);
    expect(Array.from(m.get('t_I8')!.data)).toEqual([-128, 127]);
    expect(Array.from(m.get('t_U8')!.data)).toEqual([0, 255]);
    expect(Array.from(m.get('t_BOOL')!.data)).toEqual([1, 0, 1]);
    expect(Array.from(m.get('t_F64')!.data)).toEqual([Math.fround(0.1), -Infinity]);
    expect(m.get('t_I64')!.raw).toEqual(i64);
  });
});

describe('safetensors errors', () => {
  const F = 'weights/mnv3.safetensors';
  const T = 'features.0.0.weight';
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const data8 = new Uint8Array(8);

  it('file shorter than 8 bytes', () => {
    expectFormatError(new Uint8Array(5), F, undefined, /shorter than/);
  });

  it('header length past the end or absurd', () => {
    expectFormatError(build({}, undefined, 1000n), F, undefined, /past the end of the file/);
    expectFormatError(build({}, undefined, 2n ** 64n - 1n), F, undefined, /exceeds/);
    expectFormatError(build({}, undefined, 100_000_001n), F, undefined, /exceeds/);
  });

  it('header not JSON / not an object / not UTF-8', () => {
    expectFormatError(build('{"a": '), F, undefined, /not valid JSON/);
    expectFormatError(build(''), F, undefined, /not valid JSON/);
    expectFormatError(build([1, 2]), F, undefined, /must be a JSON object/);
    expectFormatError(build('null'), F, undefined, /must be a JSON object/);
    expectFormatError(build('"str"'), F, undefined, /must be a JSON object/);
    const bad = build('{"\u00e9":1}');
    bad[10] = 0xff; // break the UTF-8 sequence
    expectFormatError(bad, F, undefined, /UTF-8/);
  });

  it('bad metadata', () => {
    expectFormatError(build({ __metadata__: { a: 1 } }), F, undefined, /must be a string/);
    expectFormatError(build({ __metadata__: [] }), F, undefined, /__metadata__/);
  });

  it('entry missing fields or with wrong types', () => {
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      const e: Record<string, unknown> = { ...ok };
      delete e[field];
      expectFormatError(build({ [T]: e }, data8), F, T, new RegExp(`missing '${field}'`));
    }
    expectFormatError(build({ [T]: 3 }, data8), F, T, /must be an object/);
    expectFormatError(build({ [T]: null }, data8), F, T, /must be an object/);
    expectFormatError(build({ [T]: { ...ok, dtype: 4 } }, data8), F, T, /dtype must be a string/);
    expectFormatError(build({ [T]: { ...ok, shape: '2' } }, data8), F, T, /shape must be an array/);
    expectFormatError(build({ [T]: { ...ok, data_offsets: '0,8' } }, data8), F, T, /data_offsets/);
    expectFormatError(build({ [T]: { ...ok, data_offsets: [0] } }, data8), F, T, /data_offsets/);
    expectFormatError(build({ [T]: { ...ok, data_offsets: [0, 8, 8] } }, data8), F, T, /data_offsets/);
    expectFormatError(build({ [T]: { ...ok, data_offsets: [-1, 8] } }, data8), F, T, /data_offsets/);
    expectFormatError(build({ [T]: { ...ok, data_offsets: [0, 8.5] } }, data8), F, T, /data_offsets/);
    expectFormatError(build({ [T]: { ...ok, data_offsets: [0, '8'] } }, data8), F, T, /data_offsets/);
  });

  it('unknown dtype', () => {
    expectFormatError(build({ [T]: { ...ok, dtype: 'F8_E4M3' } }, data8), F, T, /unknown dtype 'F8_E4M3'/);
    expectFormatError(build({ [T]: { ...ok, dtype: 'toString' } }, data8), F, T, /unknown dtype/);
  });

  it('negative or non-integer dims', () => {
    expectFormatError(build({ [T]: { ...ok, shape: [-2] } }, data8), F, T, /invalid dimension -2/);
    expectFormatError(build({ [T]: { ...ok, shape: [1.5] } }, data8), F, T, /invalid dimension 1.5/);
    expectFormatError(build({ [T]: { ...ok, shape: ['2'] } }, data8), F, T, /invalid dimension/);
    expectFormatError(build({ [T]: { ...ok, shape: [2 ** 40, 2 ** 40] } }, data8), F, T, /too large/);
  });

  it('offsets out of order, past the end, or wrong byte length', () => {
    expectFormatError(build({ [T]: { ...ok, data_offsets: [8, 0] } }, data8), F, T, /out of order/);
    const file = build({ [T]: { ...ok, shape: [249999], data_offsets: [0, 999999] } }, data8);
    const err = expectFormatError(file, F, T, /past the end of the file/);
    expect(err.message).toBe(
      `${F}: tensor '${T}': data_offsets [0, 999999] run past the end of the file (${file.length} bytes, 8 bytes of data)`,
    );
    expectFormatError(build({ [T]: { ...ok, data_offsets: [0, 4] } }, data8), F, T, /span 4 bytes but F32 shape \[2\] needs 8/);
    expectFormatError(build({ [T]: { ...ok, dtype: 'F16' } }, data8), F, T, /needs 4/);
  });

  it('uses the default file name', () => {
    const e = catchErr(() => readSafetensors(new Uint8Array(3)));
    expect((e as Error).message.startsWith('model.safetensors: ')).toBe(true);
  });
});

describe('safetensors fuzz', () => {
  it('random byte flips / truncations either parse or throw ModelFormatError', () => {
    const valid = writeSafetensors(
      [
        { name: 'a.weight', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        { name: 'a.bias', shape: [3], data: new Float32Array([-1, 0, 1]) },
        { name: 'b', shape: [], data: new Float32Array([7]) },
      ],
      { format: 'pt' },
    );
    expect(readSafetensors(valid).size).toBe(3);
    const rand = mulberry32(0x5eed);
    const ri = (n: number) => Math.floor(rand() * n);
    const headerEnd = 8 + Number(new DataView(valid.buffer).getBigUint64(0, true));
    const interesting = [...'{}[]",:0123456789-.eE '].map((c) => c.charCodeAt(0));
    let parsed = 0;
    let rejected = 0;
    const t0 = performance.now();
    for (let iter = 0; iter < 2000; iter++) {
      let buf = valid.slice();
      const mode = iter % 5;
      if (mode === 0) {
        buf = buf.slice(0, ri(buf.length + 1)); // truncation
      } else {
        const flips = 1 + ri(4);
        for (let k = 0; k < flips; k++) {
          // Bias positions towards the header, where structure lives.
          const pos = mode === 4 ? ri(8) : mode >= 2 ? 8 + ri(headerEnd - 8) : ri(buf.length);
          if (mode === 3) buf[pos] = interesting[ri(interesting.length)];
          else if (mode === 4) buf[pos] = ri(256);
          else buf[pos] ^= 1 << ri(8);
        }
        if (rand() < 0.2) buf = buf.slice(0, buf.length - ri(16));
      }
      try {
        const m = readSafetensors(buf, 'fuzz.safetensors');
        for (const t of m.values()) {
          expect(t.raw.length).toBeGreaterThanOrEqual(0);
          expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        }
        parsed++;
      } catch (e) {
        if (!(e instanceof ModelFormatError)) {
          throw new Error(`iteration ${iter}: non-ModelFormatError thrown: ${String(e)}`);
        }
        expect(e.message.startsWith('fuzz.safetensors: ')).toBe(true);
        rejected++;
      }
    }
    expect(parsed + rejected).toBe(2000);
    expect(parsed).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
