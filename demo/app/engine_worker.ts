/**
 * Web Worker entry: the Engine behind a small request/response protocol
 * ({id, method, args} -> {id, ok, value | error}). Frames arrive as transferred ImageBitmaps
 * or VideoFrames, the mask layer as a transferred OffscreenCanvas; masks read back go back as
 * transferred buffers.
 */
import { Engine } from './engine.js';

const engine = new Engine('worker', self.location.origin);
type Method = 'setBackend' | 'load' | 'frame' | 'setMaskCanvas' | 'readMask' | 'status' | 'unload' | 'loseDevice';

self.onmessage = async (e: MessageEvent<{ id: number; method: Method; args: unknown[] }>) => {
  const { id, method, args } = e.data;
  try {
    const fn = engine[method] as (...a: unknown[]) => Promise<unknown>;
    if (typeof fn !== 'function') throw new Error(`unknown engine method '${String(method)}'`);
    const value = await fn.apply(engine, args);
    // masks read back (CPU path, readMask) go back as transferred buffers
    const v = value as { mask?: { data?: Uint8Array }; data?: Uint8Array } | null;
    const data = v?.mask?.data ?? (v && method === 'readMask' ? v.data : undefined);
    (self as unknown as Worker).postMessage({ id, ok: true, value }, data ? [data.buffer] : []);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, ok: false, error: (err as Error)?.message ?? String(err) });
  }
};
(self as unknown as Worker).postMessage({ id: 0, ok: true, value: 'ready' });
