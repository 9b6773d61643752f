/**
 * What the parts of one Pyramid device share: the exchange state, which
 * carries over lost lines (ack bit, credit track, escrow, mask, outage), and
 * the streams the device publishes its events and state on.
 */
import { BehaviorSubject, ReplaySubject, Subject } from 'rxjs';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { CashwireError } from '../../core/errors.js';
import type { DeviceEvent, DeviceRef, DeviceState } from '../../core/events.js';
import type { ExchangeEvent, RequestQueue } from '../../operators/exchange.js';
import type { FrameTrace } from '../../operators/trace.js';
import { INITIAL_TRACK, type ReplyTrack } from './credit.js';
import type { PyramidSnapshot, ResolvedOptions } from './device-types.js';
import { NO_ESCROW, decide, type EscrowDecision, type EscrowState } from './escrow.js';
import type { PyramidFrame } from './framing.js';
import { startLink, type PyramidLinkState } from './link.js';
import { NO_OUTAGE, type Outage } from './outage.js';
import { PYRAMID_PROTOCOL } from './parser.js';

/** The device's mutable state; nothing of it is reset when a line is lost. */
export interface DeviceVars {
  link: PyramidLinkState;
  track: ReplyTrack;
  escrow: EscrowState;
  mask: number;
  maskGen: number;
  ackedMaskGen: number;
  /** Mask of the last poll the acceptor answered. */
  ackedMask: number;
  lastEnabledMask: number;
  ready: boolean;
  ended: boolean;
  /** Request queue of the open line; undefined between lines. */
  line: RequestQueue<PyramidFrame> | undefined;
  /** Lines lost or not opened since the last fresh reply: drives the back-off. */
  outage: Outage;
}

export function initialVars(opts: ResolvedOptions, now: number): DeviceVars {
  return {
    link: startLink(now),
    track: INITIAL_TRACK,
    escrow: NO_ESCROW,
    mask: opts.enableMask,
    maskGen: 0,
    ackedMaskGen: 0,
    ackedMask: opts.enableMask,
    lastEnabledMask: opts.enableMask === 0 ? 0x7f : opts.enableMask,
    ready: false,
    ended: false,
    line: undefined,
    outage: NO_OUTAGE,
  };
}

/** Record an escrow decision for the held note; one that contradicts an earlier decision is dropped. */
export function applyDecision(vars: DeviceVars, d: EscrowDecision): void {
  const r = decide(vars.escrow, d);
  if (r.ok) vars.escrow = r.state;
}

/** The streams behind the device's public observables, and the internal ones its parts talk through. */
export interface DeviceOutputs {
  readonly events: Subject<DeviceEvent>;
  readonly state: BehaviorSubject<DeviceState>;
  readonly acceptor: ReplaySubject<PyramidSnapshot>;
  readonly errors: Subject<Diagnostic | CashwireError>;
  readonly trace: Subject<FrameTrace>;
  /** Ticks after every fresh reply has been processed. */
  readonly replied: Subject<void>;
  /** Request-queue events of every line. */
  readonly exchanges: Subject<ExchangeEvent>;
  /** The current line has been silent too long (ms of silence); opener targets only. */
  readonly silence: Subject<number>;
  readonly diag: (kind: Diagnostic['kind'], message: string, hex?: string) => void;
  readonly raw: (name: string, data?: Record<string, unknown>) => void;
  /** Publish a state unless it is the current one. */
  readonly setState: (next: DeviceState) => void;
  /** Complete every stream, the state last. */
  readonly complete: () => void;
}

export function createOutputs(ref: DeviceRef): DeviceOutputs {
  const events = new Subject<DeviceEvent>();
  const state = new BehaviorSubject<DeviceState>({ status: 'connecting', attempt: 1 });
  const acceptor = new ReplaySubject<PyramidSnapshot>(1);
  const errors = new Subject<Diagnostic | CashwireError>();
  const trace = new Subject<FrameTrace>();
  const replied = new Subject<void>();
  const exchanges = new Subject<ExchangeEvent>();
  const silence = new Subject<number>();
  return {
    events,
    state,
    acceptor,
    errors,
    trace,
    replied,
    exchanges,
    silence,
    diag: (kind, message, hex) =>
      errors.next({ kind, protocol: PYRAMID_PROTOCOL, message, ...(hex !== undefined && { hex }) }),
    raw: (name, data = {}) => events.next({ type: 'raw', device: ref, name, data }),
    setState: (next) => {
      const cur = state.value;
      if (cur.status === next.status && JSON.stringify(cur) === JSON.stringify(next)) return;
      state.next(next);
    },
    complete: () => {
      for (const s of [events, acceptor, errors, trace, replied, exchanges, silence, state]) s.complete();
    },
  };
}
