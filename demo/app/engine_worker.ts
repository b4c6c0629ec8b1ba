/**
 * Web Worker entry: the Engine behind a small request/response protocol
 * ({id, method, args} -> {id, ok, value | error}). Frames arrive as transferred ImageBitmaps
 * or VideoFrames; masks go back as transferred buffers.
 */
import { Engine } from './engine.js';

const engine = new Engine('worker', self.location.origin);
type Method = 'setBackend' | 'load' | 'frame' | 'status' | 'unload' | 'loseDevice';

self.onmessage = async (e: MessageEvent<{ id: number; method: Method; args: unknown[] }>) => {
  const { id, method, args } = e.data;
  try {
    const fn = engine[method] as (...a: unknown[]) => Promise<unknown>;
    if (typeof fn !== 'function') throw new Error(`unknown engine method '${String(method)}'`);
    const value = await fn.apply(engine, args);
    const mask = (value as { mask?: { data: Uint8Array } } | null)?.mask;
    (self as unknown as Worker).postMessage({ id, ok: true, value }, mask ? [mask.data.buffer] : []);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, ok: false, error: (err as Error)?.message ?? String(err) });
  }
};
(self as unknown as Worker).postMessage({ id: 0, ok: true, value: 'ready' });
