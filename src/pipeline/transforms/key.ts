/** Keys shared by the transforms that keep per-stream state (sample, throttle). */
import type { Labels } from '../../core/labels.js';

/** A canonical key for a label set (sorted names), or for the given `names` only. */
export function labelsKey(labels: Labels, names?: ReadonlyArray<string>): string {
  const ks = names ?? Object.keys(labels).sort();
  let key = '';
  for (const k of ks) key += `${k}\u0000${labels[k] ?? ''}\u0001`;
  return key;
}
