export * from './families';
export { KINDS, type PortTypeLike, portAccepts, portTypeLabel } from './port-rules';
export * from './types';
