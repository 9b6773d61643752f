/**
 * `cashwire/compat`: the older eSSP library's Promise/EventEmitter API on top
 * of cashwire's Observable drivers, for a step-by-step migration
 * (docs/migration.md).
 *
 *   import SSP from 'cashwire/compat';
 *   const eSSP = new SSP({ id: 0, timeout: 3000, fixedKey: '0123456701234567' });
 * @packageDocumentation
 */
import { SSP } from './ssp.js';

export default SSP;
export { SSP, type SspEncryptionResult } from './ssp.js';
export { SSP_OPTION_LIMITS, type SspOptions } from './options.js';
export type {
  EmptyInfo,
  RefusalInfo,
  SspEventPayload,
  SspEvents,
  SspInfo,
  SspOk,
  SspRefused,
  SspResult,
} from './results.js';
