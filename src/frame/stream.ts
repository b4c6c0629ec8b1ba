/**
 * Latest-frame-wins streaming (model.stream): frames from a video, a stream of VideoFrames
 * (MediaStreamTrackProcessor.readable, which also works in a Web Worker) or any frame clock
 * run through model.runFrame one at a time. A frame that arrives while one is in flight is
 * dropped and counted, never queued, so the results never lag behind the camera.
 */
import type { FrameOptions, FrameResult, FrameSource } from './types.js';

/**
 * Something that says when a new frame is ready: an HTMLVideoElement, or any object with
 * requestVideoFrameCallback that is itself a FrameSource (a test's fake camera).
 */
export interface FrameClock {
  requestVideoFrameCallback(cb: (now: number, meta?: unknown) => void): number;
  cancelVideoFrameCallback?(handle: number): void;
}

export type StreamSource = HTMLVideoElement | (FrameClock & FrameSource) | ReadableStream<VideoFrame> | AsyncIterable<FrameSource>;

export interface StreamOptions extends FrameOptions {
  /** called for a frame that failed; without it the first failure stops the stream and rejects `done` */
  onError?: (error: unknown, stats: StreamStats) => void;
}

export interface StreamStats {
  /** frames the source delivered */
  frames: number;
  /** frames run to a result */
  processed: number;
  /** frames skipped because one was in flight */
  dropped: number;
  /** frames that failed */
  errors: number;
}

export interface FrameStream {
  readonly stats: Readonly<StreamStats>;
  /** stops taking frames; resolves once the frame in flight (if any) has finished */
  stop(): Promise<void>;
  /** resolves when the stream stopped (stop() or the source ended); rejects on a failure without onError */
  readonly done: Promise<void>;
}

const closeFrame = (f: unknown): void => {
  try {
    (f as { close?: () => void }).close?.();
  } catch {
    /* already closed */
  }
};

const isClock = (s: unknown): s is FrameClock => !!s && typeof (s as FrameClock).requestVideoFrameCallback === 'function';
const isVideo = (s: unknown): s is HTMLVideoElement => typeof HTMLVideoElement === 'function' && s instanceof HTMLVideoElement;

export function startStream(
  run: (source: FrameSource, opts: FrameOptions) => Promise<FrameResult>,
  source: StreamSource,
  onResult: (result: FrameResult, stats: Readonly<StreamStats>) => void,
  opts: StreamOptions = {},
): FrameStream {
  const stats: StreamStats = { frames: 0, processed: 0, dropped: 0, errors: 0 };
  let stopped = false;
  let inFlight: Promise<void> | null = null;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let cancel: () => void = () => undefined;
  const { onError, ...frameOpts } = opts;

  const finish = (error?: unknown): void => {
    if (stopped) return;
    stopped = true;
    cancel();
    const end = (): void => (error === undefined ? settle.resolve() : settle.reject(error));
    if (inFlight) void inFlight.then(end);
    else end();
  };

  /** takes one frame: runs it, or drops it when one is in flight; `release` runs when it is no longer needed */
  const offer = (frame: FrameSource, release?: () => void): void => {
    stats.frames++;
    if (stopped || inFlight) {
      stats.dropped++;
      release?.();
      return;
    }
    inFlight = (async () => {
      try {
        const r = await run(frame, frameOpts);
        stats.processed++;
        if (!stopped) onResult(r, stats);
      } catch (e) {
        stats.errors++;
        if (onError) onError(e, stats);
        else {
          inFlight = null;
          finish(e);
        }
      } finally {
        release?.();
        inFlight = null;
      }
    })();
  };

  if (isClock(source)) {
    // requestVideoFrameCallback: one callback per presented video frame
    let handle = 0;
    const tick = (): void => {
      if (stopped) return;
      handle = source.requestVideoFrameCallback(tick);
      offer(source as FrameSource);
    };
    handle = source.requestVideoFrameCallback(tick);
    cancel = () => source.cancelVideoFrameCallback?.(handle);
  } else if (isVideo(source)) {
    // no requestVideoFrameCallback (older engines): poll the video's clock once per animation frame
    let last = -1;
    let handle = 0;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (cb: (t: number) => void) => setTimeout(() => cb(performance.now()), 16) as unknown as number;
    const caf = typeof cancelAnimationFrame === 'function' ? cancelAnimationFrame : (h: number) => clearTimeout(h);
    const poll = (): void => {
      if (stopped) return;
      handle = raf(poll);
      if (source.readyState >= 2 && source.currentTime !== last) {
        last = source.currentTime;
        offer(source);
      }
    };
    handle = raf(poll);
    cancel = () => caf(handle);
  } else if (source && (typeof (source as ReadableStream).getReader === 'function' || typeof (source as AsyncIterable<FrameSource>)[Symbol.asyncIterator] === 'function')) {
    // a stream of frames: read as fast as they come, drop (and close) the ones that arrive while busy
    const readable = source as ReadableStream<FrameSource>;
    const reader = typeof readable.getReader === 'function' ? readable.getReader() : null;
    const it = reader ? null : (source as AsyncIterable<FrameSource>)[Symbol.asyncIterator]();
    cancel = () => {
      void reader?.cancel().catch(() => undefined);
      void it?.return?.().catch(() => undefined);
    };
    void (async () => {
      try {
        for (;;) {
          const next = reader ? await reader.read() : await it!.next();
          if (next.done) break;
          if (stopped) {
            closeFrame(next.value);
            break;
          }
          const f = next.value;
          offer(f, () => closeFrame(f));
        }
        await inFlight; // a failure of the last frame decides how `done` settles
        finish();
      } catch (e) {
        finish(stopped ? undefined : e);
      }
    })();
  } else {
    throw new TypeError('stream: the source must be an HTMLVideoElement, an object with requestVideoFrameCallback, a ReadableStream of VideoFrames or an async iterable of frames');
  }

  return {
    stats,
    done,
    stop: async () => {
      const wait = inFlight;
      finish();
      await wait;
    },
  };
}
