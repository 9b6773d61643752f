import type { Observable } from 'rxjs';

/** Serial line settings. Each protocol module exports the settings its devices use. */
export interface LineSettings {
  readonly baudRate: number;
  readonly dataBits: 7 | 8;
  readonly parity: 'none' | 'even' | 'odd';
  readonly stopBits: 1 | 2;
}

/**
 * A byte pipe to a device. Everything above the transport speaks only this.
 *
 * - `data$` is hot: bytes arrive as they come, in chunks of any size. It completes when
 *   the transport closes and errors with a `TransportError` when the line is lost.
 * - `write()` is cold: nothing happens until it is subscribed; it completes once the
 *   bytes are handed to the line.
 * - `close()` is idempotent.
 */
export interface Transport {
  readonly data$: Observable<Uint8Array>;
  write(bytes: Uint8Array): Observable<void>;
  close(): Observable<void>;
  /** Human-readable description for logs and errors (e.g. the port path). */
  readonly description: string;
}
