// The node's placement: the file given with -placement (or DOOZERD_PLACEMENT)
// checked against the actor kinds of src/actors/kinds.ts, or the default.
import * as kindsModule from '../actors/kinds.js';
import { AUTO, DEFAULT_PLACEMENT, kindGroups, loadPlacement, type Placement } from '../runtime/placement.js';

/** Kind names, and the groups ("consensus") a placement may name. */
export function nodeKinds(): { kinds: string[]; groups: Record<string, string[]> } {
  const kinds = Object.keys(kindsModule.actorKinds).sort();
  const declared = (kindsModule as Record<string, unknown>).kindGroups as Record<string, readonly string[]> | undefined;
  return { kinds, groups: kindGroups(kinds, declared) };
}

/**
 * The placement of `-placement FILE`: no file or "auto" is the automatic
 * placement (DEFAULT_PLACEMENT). Throws PlacementError (naming the file, the
 * bad key and what is allowed).
 */
export function loadNodePlacement(file: string | undefined): Placement {
  if (file === undefined || file === AUTO) return DEFAULT_PLACEMENT;
  const { kinds, groups } = nodeKinds();
  return loadPlacement(file, kinds, groups);
}
