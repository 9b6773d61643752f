/**
 * Single-wire echo handling (pure).
 *
 * On the standard ccTalk interface the host hears every frame it sends before
 * the reply. Some USB adapters and devices give no echo, so instead of
 * assuming either, the link compares the first frame received after sending
 * with what it sent: byte-identical → an echo to strip; addressed like our
 * request but different → a corrupted echo (a serious line fault, never
 * stripped); anything else → the reply itself.
 */
import { bytesEqual, toHex } from '../../core/bytes.js';
import type { Diagnostic } from '../../core/diagnostics.js';

export type EchoClass = 'echo' | 'reply' | 'mismatch';

/**
 * Classify one received frame against the frame just sent. Only an exact
 * copy is an echo. A frame of the same length to the same destination is a
 * damaged echo ('mismatch'); ccTalk replies go the other way (to the sender).
 */
export function classifyEcho(sent: Uint8Array, received: Uint8Array): EchoClass {
  if (bytesEqual(sent, received)) return 'echo';
  const sameShape = received.length === sent.length && received[0] === sent[0] && received[1] === sent[1];
  return sameShape ? 'mismatch' : 'reply';
}

/**
 * - `auto`: learn from the first exchange whether this line echoes, then
 *   report when an echo that the line has been giving goes missing.
 * - `always`: an echo must precede every reply.
 * - `never`: no echo is expected and none is reported missing (an exact copy
 *   of the request is still classified as an echo, since no device sends one).
 */
export type EchoPolicy = 'auto' | 'always' | 'never';

export interface EchoState {
  readonly policy: EchoPolicy;
  /** The frame sent and not yet matched by an echo or a reply. */
  readonly awaiting: Uint8Array | undefined;
  /** What the line has shown so far: undefined until the first exchange. */
  readonly lineEchoes: boolean | undefined;
}

export function createEchoState(policy: EchoPolicy = 'auto'): EchoState {
  return {
    policy,
    awaiting: undefined,
    lineEchoes: policy === 'always' ? true : policy === 'never' ? false : undefined,
  };
}

/** Record a frame the host has just written. */
export function echoSent(state: EchoState, frame: Uint8Array): EchoState {
  return { ...state, awaiting: frame };
}

export interface EchoStep {
  readonly state: EchoState;
  /** 'echo' frames are dropped by the caller; 'reply' frames go on; 'mismatch' is a link fault. */
  readonly kind: EchoClass;
  readonly diagnostic?: Diagnostic;
}

function echoDiagnostic(message: string, sent: Uint8Array, received: Uint8Array): Diagnostic {
  return {
    kind: 'echo',
    protocol: 'cctalk',
    message,
    hex: toHex(received),
    info: { sent: toHex(sent), received: toHex(received) },
  };
}

/** Feed one received frame (raw bytes) and learn what it was. */
export function echoReceived(state: EchoState, frame: Uint8Array): EchoStep {
  const sent = state.awaiting;
  // With nothing outstanding every frame is a reply (or another node's traffic).
  if (!sent) return { state, kind: 'reply' };
  const kind = classifyEcho(sent, frame);
  if (kind === 'echo') {
    const lineEchoes = state.policy === 'never' ? state.lineEchoes : true;
    return { state: { ...state, awaiting: undefined, lineEchoes }, kind };
  }
  const cleared: EchoState = { ...state, awaiting: undefined };
  if (kind === 'mismatch') {
    const diagnostic = echoDiagnostic(
      'Echo differs from the frame sent: the line is corrupting data.',
      sent,
      frame,
    );
    return { state: cleared, kind, diagnostic };
  }
  if (state.lineEchoes === true && state.policy !== 'never') {
    const diagnostic = echoDiagnostic('No echo of the frame sent arrived before the reply.', sent, frame);
    return { state: cleared, kind, diagnostic };
  }
  const lineEchoes = state.policy === 'auto' && state.lineEchoes === undefined ? false : state.lineEchoes;
  return { state: { ...cleared, lineEchoes }, kind };
}

/**
 * When the reply wait ends with neither echo nor reply, call this: it reports
 * a missing echo on a line known to echo and clears the outstanding frame.
 */
export function echoTimedOut(state: EchoState): {
  readonly state: EchoState;
  readonly diagnostic?: Diagnostic;
} {
  const sent = state.awaiting;
  const cleared: EchoState = { ...state, awaiting: undefined };
  if (sent && state.lineEchoes === true && state.policy !== 'never') {
    const diagnostic = echoDiagnostic(
      'No echo of the frame sent: check the wiring.',
      sent,
      new Uint8Array(0),
    );
    return { state: cleared, diagnostic };
  }
  return { state: cleared };
}
