/**
 * The eSSP connect sequence (fact sheet 16) as one cold Observable:
 *
 *   SYNC → key exchange (per encryption mode) → HOST_PROTOCOL_VERSION, from
 *   the wanted level down to 4 until the device accepts → SETUP_REQUEST (the
 *   session context learns protocol version, unit type, currency and channel
 *   values) → GET_SERIAL_NUMBER (+ module serials) → SET_CHANNEL_INHIBITS →
 *   ENABLE_PAYOUT_DEVICE on payout units → one POLL, handed to the caller →
 *   ENABLE.
 *
 * It is run again unchanged after a reset or a loss of communication: a
 * device that reset has dropped its key, inhibits and protocol level, so the
 * whole sequence is the recovery.
 */
import {
  type Observable,
  concat,
  defer,
  ignoreElements,
  map,
  of,
  throwError,
  catchError,
  from,
  mergeMap,
  toArray,
  EMPTY,
} from 'rxjs';
import { CashwireError, DeviceError, EncryptionRequiredError } from '../../../core/errors.js';
import { MIN_PROTOCOL_VERSION, unitTypeName } from '../context.js';
import type { SetupInfo } from '../setup.js';
import type { EsspSession } from '../session.js';
import { isSupportedBy } from '../commands/table.js';
import type { EncryptionMode, EsspUnitInfo } from './types.js';

export interface ConnectPlan {
  readonly encryption: EncryptionMode;
  /** Highest protocol version to offer. */
  readonly protocolVersion: number;
  /** 1-based channels to accept; undefined = all. */
  readonly acceptChannels?: readonly number[];
  /** Module bytes whose serial numbers are read too. */
  readonly serialModules: readonly number[];
  readonly autoEnable: boolean;
  /** Receives the payload (after 0xF0) of the POLL made before ENABLE. */
  readonly onPoll: (payload: Uint8Array) => void;
  /** Non-fatal problems (a module without serial, payout left disabled without a key). */
  readonly onWarning: (e: CashwireError) => void;
}

const MAX_INHIBIT_CHANNELS = 24;

/** Unit types with a note payout module that needs ENABLE_PAYOUT_DEVICE. */
const PAYOUT_MODULES = new Set(['SMART_PAYOUT', 'TEBS_PAYOUT', 'NOTE_FLOAT']);

/** The key exchange per mode; 'auto' carries on in clear when the device refuses (not when it is silent). */
function keyExchange(session: EsspSession, mode: EncryptionMode): Observable<never> {
  if (mode === 'off') return EMPTY;
  return session.negotiateKey().pipe(
    ignoreElements(),
    catchError((e: unknown) => (mode === 'auto' && e instanceof DeviceError ? EMPTY : throwError(() => e))),
  );
}

/** How devices refuse a protocol level: FAIL per the manual, PARAMETER_OUT_OF_RANGE seen from an NV9USB. */
const REFUSED_VERSION: ReadonlySet<string> = new Set(['FAIL', 'PARAMETER_OUT_OF_RANGE']);

/** HOST_PROTOCOL_VERSION from `version` down to 4; a refusal means "try lower", anything else fails connect. */
function negotiateVersion(session: EsspSession, version: number): Observable<number> {
  return session.send('HOST_PROTOCOL_VERSION', { version }).pipe(
    map(() => version),
    catchError((e: unknown) =>
      e instanceof DeviceError && REFUSED_VERSION.has(e.response) && version > MIN_PROTOCOL_VERSION
        ? negotiateVersion(session, version - 1)
        : throwError(() => e),
    ),
  );
}

function applySetup(session: EsspSession, setup: SetupInfo, version: number): void {
  const channels = setup.kind === 'printer' ? [] : setup.channels.map((c) => c.value);
  const currency = setup.kind === 'printer' ? undefined : setup.country;
  session.context = {
    protocolVersion: setup.protocolVersion ?? version,
    unitType: setup.unitType,
    unitKnown: true,
    channels,
    ...(currency !== undefined && { currency }),
  };
}

function moduleSerials(
  session: EsspSession,
  modules: readonly number[],
  warn: (e: CashwireError) => void,
): Observable<Readonly<Record<number, number>>> {
  return from(modules).pipe(
    mergeMap(
      (module) =>
        session.send('GET_SERIAL_NUMBER', { module }).pipe(
          map((r) => [module, r.info.serial_number] as const),
          catchError((e: unknown) => {
            // A module that is not fitted answers with a generic failure: note it, carry on.
            if (e instanceof DeviceError) {
              warn(e);
              return EMPTY;
            }
            return throwError(() => e);
          }),
        ),
      1,
    ),
    toArray(),
    map((pairs) => Object.fromEntries(pairs) as Record<number, number>),
  );
}

/** Inhibit mask for SET_CHANNEL_INHIBITS: 1 = accept. */
function inhibits(count: number, accept: readonly number[] | undefined): (0 | 1)[] {
  return Array.from({ length: count }, (_, i) => (accept === undefined || accept.includes(i + 1) ? 1 : 0));
}

/** Run the connect sequence; emits the unit information once, then completes. */
export function connectEssp(session: EsspSession, plan: ConnectPlan): Observable<EsspUnitInfo> {
  return defer(() => {
    // Whatever key existed, the device may have lost it (reset) or be out of count.
    session.clearKey();
    let version = plan.protocolVersion;
    let setup: SetupInfo | undefined;
    let serialNumber = 0;
    let modules: Readonly<Record<number, number>> = {};
    const unit = (): string => unitTypeName(session.context.unitType);

    const steps = [
      session.send('SYNC').pipe(ignoreElements()),
      defer(() => keyExchange(session, plan.encryption)),
      defer(() => negotiateVersion(session, plan.protocolVersion)).pipe(
        map((v) => (version = v)),
        ignoreElements(),
      ),
      defer(() => session.send('SETUP_REQUEST')).pipe(
        map((r) => {
          setup = r.info;
          applySetup(session, r.info, version);
        }),
        ignoreElements(),
      ),
      defer(() => session.send('GET_SERIAL_NUMBER')).pipe(
        map((r) => (serialNumber = r.info.serial_number)),
        ignoreElements(),
      ),
      defer(() =>
        plan.serialModules.length === 0
          ? EMPTY
          : moduleSerials(session, plan.serialModules, plan.onWarning).pipe(map((m) => (modules = m))),
      ).pipe(ignoreElements()),
      defer(() => {
        // The command carries at most 24 channels (3 bytes); higher ones stay inhibited.
        const count = Math.min(session.context.channels?.length ?? 0, MAX_INHIBIT_CHANNELS);
        if (count === 0 || !isSupportedBy('SET_CHANNEL_INHIBITS', session.context.unitType)) return EMPTY;
        return session.send('SET_CHANNEL_INHIBITS', { channels: inhibits(count, plan.acceptChannels) });
      }).pipe(ignoreElements()),
      defer(() => {
        if (!PAYOUT_MODULES.has(unit())) return EMPTY;
        if (!session.encrypted) {
          // ENABLE_PAYOUT_DEVICE must be encrypted: without a key the unit only validates.
          plan.onWarning(new EncryptionRequiredError('ENABLE_PAYOUT_DEVICE'));
          return EMPTY;
        }
        return session.send('ENABLE_PAYOUT_DEVICE');
      }).pipe(ignoreElements()),
      // Anything from before a power loss (credits, incomplete payouts) is handled before ENABLE.
      defer(() => session.send('POLL')).pipe(
        map((r) => plan.onPoll(r.info.data)),
        ignoreElements(),
      ),
      defer(() => (plan.autoEnable ? session.send('ENABLE') : EMPTY)).pipe(ignoreElements()),
    ];

    return concat(
      ...steps,
      defer(() => {
        if (plan.encryption === 'required' && !session.encrypted) {
          return throwError(() => new EncryptionRequiredError('connect'));
        }
        if (setup === undefined)
          return throwError(() => new CashwireError('CONNECT_FAILED', 'No SETUP_REQUEST reply.'));
        return of(unitInfo(session, setup, serialNumber, modules));
      }),
    );
  });
}

function unitInfo(
  session: EsspSession,
  setup: SetupInfo,
  serialNumber: number,
  modules: Readonly<Record<number, number>>,
): EsspUnitInfo {
  const channels = setup.kind === 'printer' ? [] : setup.channels;
  return {
    address: session.address,
    unitType: setup.unitType,
    unitTypeName: setup.unitTypeName,
    firmware: setup.firmware,
    currency: setup.kind === 'printer' ? '' : setup.country,
    protocolVersion: session.context.protocolVersion,
    channels,
    serialNumber,
    encrypted: session.encrypted,
    ...(Object.keys(modules).length > 0 && { moduleSerials: modules }),
  };
}
