/**
 * eSSP probe: at 9600 8N2, SYNC the default addresses (0x00 validators and
 * payouts, 0x10 SMART Hopper); for each that answers, read SETUP_REQUEST
 * (unit type, firmware, country, channels, protocol version in force),
 * GET_SERIAL_NUMBER and the full firmware string. A unit that insists on
 * encryption answers KEY_NOT_SET: the probe negotiates a key (default fixed
 * half) and asks again.
 */
import { firstValueFrom } from 'rxjs';
import { CommandTimeoutError, DeviceError, TransportError } from '../../core/errors.js';
import { formatMoney } from '../../core/money.js';
import { ESSP_LINE } from '../../protocols/essp/context.js';
import { createEsspBus, type EsspSession } from '../../protocols/essp/session.js';
import type { SetupInfo } from '../../protocols/essp/setup.js';
import type { ArgsOf, EsspCommandName, ReplyOf } from '../../protocols/essp/commands/table.js';
import { watchEcho } from './cctalk.js';
import {
  type OpenAt,
  type ProbeFinding,
  type ProbeSettings,
  type ProtocolProbe,
  lineText,
  messageOf,
  optional,
  withTransport,
} from './types.js';

/** Default addresses of SSP units (fact sheet §1). */
export const ESSP_PROBE_ADDRESSES: readonly number[] = [0x00, 0x10];

const hex2 = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Session context from a SETUP_REQUEST reply, so later replies decode for this unit. */
export function applySetupContext(session: EsspSession, setup: SetupInfo): void {
  session.context = {
    protocolVersion: setup.protocolVersion ?? session.context.protocolVersion,
    unitType: setup.unitType,
    unitKnown: true,
    ...(setup.kind !== 'printer' && {
      channels: setup.channels.map((c) => c.value),
      currency: setup.country,
    }),
  };
}

/**
 * Send one command; on KEY_NOT_SET negotiate a key and send it again once.
 * Resolves with the decoded payload.
 */
export async function sendWithKeyRetry<N extends EsspCommandName>(
  session: EsspSession,
  name: N,
  args?: ArgsOf<N>,
): Promise<ReplyOf<N>> {
  try {
    return (await firstValueFrom(session.send(name, args))).info;
  } catch (e) {
    if (!(e instanceof DeviceError) || e.response !== 'KEY_NOT_SET' || session.encrypted) throw e;
    await firstValueFrom(session.negotiateKey(), { defaultValue: undefined });
    return (await firstValueFrom(session.send(name, args))).info;
  }
}

async function identify(session: EsspSession): Promise<ProbeFinding> {
  const warnings: string[] = [];
  const setup = await sendWithKeyRetry(session, 'SETUP_REQUEST');
  applySetupContext(session, setup);
  const serial = await optional(
    'GET_SERIAL_NUMBER',
    () => sendWithKeyRetry(session, 'GET_SERIAL_NUMBER'),
    warnings,
  );
  const firmware = await optional(
    'GET_FIRMWARE_VERSION',
    () => sendWithKeyRetry(session, 'GET_FIRMWARE_VERSION'),
    warnings,
  );
  const channels = setup.kind === 'printer' ? undefined : setup.channels.map((c) => formatMoney(c.value));
  return {
    protocol: 'essp',
    address: session.address,
    unit: setup.unitTypeName,
    ...(serial !== undefined && { serial: String(serial.serial_number) }),
    firmware: firmware?.firmware.trim() || setup.firmware,
    ...(setup.kind !== 'printer' && { currency: setup.country }),
    ...(channels !== undefined && { channels }),
    details: {
      unitType: hex2(setup.unitType),
      kind: setup.kind,
      ...(setup.protocolVersion !== undefined && { protocolVersion: setup.protocolVersion }),
      encrypted: session.encrypted,
    },
    warnings,
  };
}

/** Probe one open transport; silence at an address is not an error. */
export async function probeEsspOn(
  transport: Parameters<typeof createEsspBus>[0],
  settings: ProbeSettings,
  addresses: readonly number[] = ESSP_PROBE_ADDRESSES,
  notes: string[] = [],
): Promise<ProbeFinding[]> {
  const watched = watchEcho(transport);
  const bus = createEsspBus(watched.transport, { timeoutMs: settings.timeoutMs, attempts: 2 });
  const found: ProbeFinding[] = [];
  try {
    for (const address of addresses) {
      settings.progress(`eSSP: SYNC to address ${hex2(address)}`);
      const session = bus.session(address);
      let synced = false;
      try {
        await firstValueFrom(session.send('SYNC'));
        synced = true;
        found.push(await identify(session));
      } catch (e) {
        // Silence means nothing is at this address. A reply that is not eSSP (on a ccTalk
        // single-wire line our own SYNC comes back as an echo) is noted, not a failure. A unit
        // that answered SYNC is reported even if it then fails to identify itself. A lost line
        // ends the probe.
        if (e instanceof TransportError) throw e;
        if (!synced && !(e instanceof CommandTimeoutError)) {
          notes.push(
            watched.echoed()
              ? `${hex2(address)}: our own SYNC came back as an echo; this line loops back what is sent (a ccTalk single-wire interface?)`
              : `${hex2(address)}: ${messageOf(e)}`,
          );
        }
        if (synced) {
          found.push({
            protocol: 'essp',
            address,
            details: {},
            warnings: [`answered SYNC but identification failed: ${messageOf(e)}`],
          });
        }
      } finally {
        session.dispose();
      }
    }
  } finally {
    bus.dispose();
  }
  return found;
}

export async function probeEssp(open: OpenAt, path: string, settings: ProbeSettings): Promise<ProtocolProbe> {
  const started = performance.now();
  const base = {
    protocol: 'essp',
    line: lineText(ESSP_LINE),
    tried: `SYNC to ${ESSP_PROBE_ADDRESSES.map(hex2).join(' and ')}, then SETUP_REQUEST, GET_SERIAL_NUMBER, GET_FIRMWARE_VERSION`,
  } as const;
  try {
    const notes: string[] = [];
    const found = await withTransport(open, path, ESSP_LINE, (t) =>
      probeEsspOn(t, settings, ESSP_PROBE_ADDRESSES, notes),
    );
    return {
      ...base,
      found,
      ...(notes.length > 0 && { notes }),
      elapsedMs: Math.round(performance.now() - started),
    };
  } catch (e) {
    return { ...base, found: [], error: messageOf(e), elapsedMs: Math.round(performance.now() - started) };
  }
}
