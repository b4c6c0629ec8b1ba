/**
 * Memory plan: activations live in a few "slots", one GPU buffer each, reused by liveness. A
 * tensor lives from the step that writes it to the last step that reads it (graph inputs from
 * "before step 0", graph outputs to the end). In definition order each tensor takes a slot
 * whose previous tenant is dead (the smallest that fits, else the largest free one, grown),
 * or a new slot. Lifetimes are closed intervals, so a step never reads and writes the same
 * slot. Why slots and not offsets in one arena buffer: WebGPU tracks usage per *buffer*, so
 * one buffer bound read-only (input) and writable (output) in the same dispatch is a
 * validation error, whatever the ranges; separate buffers keep inputs read-only, which also
 * lets GPU compilers use their read-only caches. A reshape is an alias of its input.
 */

/**
 * Assigns every tensor (by its closed lifetime [first step, last step]) a slot: in order of
 * definition, the smallest dead slot that fits, else the largest dead one grown to fit,
 * else a new slot. Returns each tensor's slot and size and every slot's final size.
 */
export function assignSlots(
  life: ReadonlyMap<string, readonly [number, number]>,
  bytesOf: (tensor: string) => number,
): { slotOf: Map<string, { slot: number; bytes: number }>; slots: number[] } {
  const slotOf = new Map<string, { slot: number; bytes: number }>();
  const slots: { bytes: number; busyUntil: number }[] = [];
  const order = [...life.entries()].sort((x, y) => x[1][0] - y[1][0]);
  for (const [name, l] of order) {
    const bytes = bytesOf(name);
    const free = slots.map((sl, i) => ({ sl, i })).filter(({ sl }) => sl.busyUntil < l[0]);
    const fits = free.filter(({ sl }) => sl.bytes >= bytes).sort((x, y) => x.sl.bytes - y.sl.bytes);
    let slot: number;
    if (fits.length) slot = fits[0].i;
    else if (free.length) {
      slot = free.sort((x, y) => y.sl.bytes - x.sl.bytes)[0].i;
      slots[slot].bytes = bytes;
    } else {
      slot = slots.length;
      slots.push({ bytes, busyUntil: -2 });
    }
    slots[slot].busyUntil = l[1];
    slotOf.set(name, { slot, bytes });
  }
  return { slotOf, slots: slots.map((sl) => sl.bytes) };
}
