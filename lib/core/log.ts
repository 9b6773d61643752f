/**
 * Debug logging through the `debug` package: `DEBUG=cashwire:*` shows raw
 * frames per protocol and layer. Messages are built lazily so logging costs
 * nothing when it is off. Never pass key material here.
 */
import createDebug from 'debug';

export interface Logger {
  (formatter: string, ...args: unknown[]): void;
  readonly enabled: boolean;
}

export function logger(namespace: string): Logger {
  return createDebug(`cashwire:${namespace}`) as Logger;
}
