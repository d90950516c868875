/** mulberry32: a small, fast PRNG whose whole state is one 32-bit seed, so EMULATOR_SEED replays a run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeds each messenger's stream apart, so adding traffic to one doesn't change another's outcomes. */
export function seedFor(seed: number | undefined, stream: string): number {
  const base = seed ?? Math.floor(Math.random() * 2 ** 32);
  let hash = base >>> 0;
  for (const char of stream) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}
