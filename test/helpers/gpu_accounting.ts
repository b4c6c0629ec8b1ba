/**
 * Device-level GPU buffer accounting, independent of the runtime's own counters: wraps a
 * device's createBuffer so every buffer is tracked until its destroy() (or the device's).
 */
export interface BufferAccount {
  /** buffers created and not yet destroyed */
  readonly live: number;
  /** bytes of those buffers */
  readonly liveBytes: number;
  readonly created: number;
}

export function trackBuffers(device: GPUDevice): BufferAccount {
  const live = new Map<GPUBuffer, number>();
  let created = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor): GPUBuffer => {
    const b = create(desc);
    created++;
    live.set(b, desc.size);
    const destroy = b.destroy.bind(b);
    b.destroy = (): undefined => {
      live.delete(b);
      return destroy();
    };
    return b;
  };
  return {
    get live() {
      return live.size;
    },
    get liveBytes() {
      let s = 0;
      for (const v of live.values()) s += v;
      return s;
    },
    get created() {
      return created;
    },
  };
}
