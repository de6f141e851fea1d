// Replayable simulations: the seeded PRNG lives in common (one place for it).
import { seededRandom, type Random } from '@firelink/common';

export { seededRandom, type Random };

export function between(rnd: Random, min: number, max: number): number {
  return min + (max - min) * rnd();
}
