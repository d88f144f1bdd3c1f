// The plan builder's public surface.
export { buildPlan, requiredBytes, type BuildPlanInput } from './build';
export { renderScript, type RenderOptions } from './render';
export { FLAVOURS } from './flavours/registry';
export type { Flavour } from './flavours/flavour';
export { insertRcLocalLine, removeRcLocalLine, rcLocalLine, RC_LOCAL_MARKER } from './texts/rc-local';
