/**
 * ccTalk probe: at 9600 8N1, an address poll (253) and simple polls (254) of
 * the standard addresses, each in both checksum modes, then identification
 * of every device that answered (category, manufacturer, product, serial,
 * software revision). The bus learns by itself whether the line echoes;
 * the probe also watches the raw bytes so it can say which it was.
 */
import { firstValueFrom } from 'rxjs';
import { toHex } from '../../core/bytes.js';
import { CCTALK_LINE_SETTINGS, createCcTalkBus } from '../../protocols/cctalk/bus.js';
import {
  DEFAULT_DISCOVERY_ADDRESSES,
  type DeviceIdentity,
  discoverCcTalkDevices,
} from '../../protocols/cctalk/discovery.js';
import type { Transport } from '../../transport/transport.js';
import {
  type OpenAt,
  type ProbeFinding,
  type ProbeSettings,
  type ProtocolProbe,
  lineText,
  messageOf,
  withTransport,
} from './types.js';

/** How long the address poll collects answers: a device at address a answers after about 4·a ms. */
export const CCTALK_ADDRESS_POLL_WINDOW_MS = 400;

/** The transport, plus whether an exact copy of something written came back (a single-wire echo). */
export function watchEcho(transport: Transport): { readonly transport: Transport; echoed(): boolean } {
  const written: string[] = [];
  let received = '';
  // data$ is hot: one extra subscriber sees every chunk once, whoever else listens.
  const sub = transport.data$.subscribe({
    next: (chunk) => {
      // Bounded: enough to hold a few frames around the last write.
      received = (received + toHex(chunk, '')).slice(-1024);
    },
    error: () => undefined,
  });
  let echoed = false;
  return {
    transport: {
      description: transport.description,
      data$: transport.data$,
      write: (bytes) => {
        written.push(toHex(bytes, ''));
        if (written.length > 8) written.shift();
        return transport.write(bytes);
      },
      close: () => {
        sub.unsubscribe();
        return transport.close();
      },
    },
    echoed: () => {
      echoed ||= written.some((w) => received.includes(w));
      return echoed;
    },
  };
}

function finding(d: DeviceIdentity, echo: boolean): ProbeFinding {
  return {
    protocol: 'cctalk',
    address: d.address,
    ...(d.category !== undefined && { unit: d.category }),
    ...(d.manufacturer !== undefined && { manufacturer: d.manufacturer }),
    ...(d.product !== undefined && { product: d.product }),
    ...(d.serial !== undefined && { serial: String(d.serial) }),
    ...(d.software !== undefined && { firmware: d.software }),
    details: {
      checksum: d.checksum,
      echo,
      ...(d.deviceClass !== undefined && { deviceClass: d.deviceClass }),
      ...(d.commsRevision !== undefined && { commsRevision: d.commsRevision }),
      ...(d.buildCode !== undefined && { buildCode: d.buildCode }),
    },
    warnings: d.unanswered.map((u) => `${u.header}: ${u.reason}`),
  };
}

export async function probeCcTalkOn(transport: Transport, settings: ProbeSettings): Promise<ProbeFinding[]> {
  const watched = watchEcho(transport);
  const bus = createCcTalkBus(watched.transport, { echo: 'auto' });
  try {
    settings.progress(
      `ccTalk: address poll, then simple poll of ${DEFAULT_DISCOVERY_ADDRESSES.join(', ')} (8-bit sum and CRC-16)`,
    );
    const report = await firstValueFrom(
      discoverCcTalkDevices(bus, {
        addressPollWindowMs: CCTALK_ADDRESS_POLL_WINDOW_MS,
        probeTimeoutMs: settings.timeoutMs,
      }),
    );
    return report.devices.map((d) => finding(d, watched.echoed()));
  } finally {
    bus.dispose();
  }
}

export async function probeCcTalk(
  open: OpenAt,
  path: string,
  settings: ProbeSettings,
): Promise<ProtocolProbe> {
  const started = performance.now();
  const base = {
    protocol: 'cctalk',
    line: lineText(CCTALK_LINE_SETTINGS),
    tried: `address poll (253) and simple poll (254) of ${DEFAULT_DISCOVERY_ADDRESSES.join(', ')}, 8-bit sum and CRC-16, with or without echo`,
  } as const;
  try {
    const found = await withTransport(open, path, CCTALK_LINE_SETTINGS, (t) => probeCcTalkOn(t, settings));
    return { ...base, found, elapsedMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { ...base, found: [], error: messageOf(e), elapsedMs: Math.round(performance.now() - started) };
  }
}
