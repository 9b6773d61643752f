/**
 * A best guess of what sits behind a serial port, from its USB vendor and
 * product ids. Only ids we could confirm are listed: ITL's own vendor id
 * (its units enumerate as a CDC serial port), and the common USB-serial
 * bridge chips that ccTalk, Pyramid and eSSP interface cables are built on.
 * Anything else is "unknown": `cashwire probe` finds out for sure.
 */

export interface UsbGuess {
  /** Who made the USB side. */
  readonly vendor: string;
  /** What is probably behind it, and how to talk to it. */
  readonly guess: string;
  /** The protocols worth probing first. */
  readonly protocols: readonly ('essp' | 'cctalk' | 'pyramid')[];
}

const BRIDGE = 'USB-serial adapter: ccTalk, Pyramid or eSSP device behind it';
const ALL = ['essp', 'cctalk', 'pyramid'] as const;

/** Vendor id (4 lower-case hex digits) → guess. */
const VENDORS: Readonly<Record<string, UsbGuess>> = {
  '191c': {
    vendor: 'Innovative Technology (ITL)',
    guess:
      'ITL unit (NV9USB, NV10USB, NV200, SMART Payout, SMART Hopper ...): eSSP, or ccTalk when configured so',
    protocols: ['essp', 'cctalk'],
  },
  '0403': { vendor: 'FTDI', guess: BRIDGE, protocols: ALL },
  '067b': { vendor: 'Prolific (PL2303)', guess: BRIDGE, protocols: ALL },
  '1a86': { vendor: 'QinHeng (CH340/CH341)', guess: BRIDGE, protocols: ALL },
  '10c4': { vendor: 'Silicon Labs (CP210x)', guess: BRIDGE, protocols: ALL },
};

/** Normalize '0x191C', '191c', '191C' to '191c'; undefined for anything that is not a 16-bit hex id. */
export function normalizeUsbId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const hex = id.trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]{1,4}$/.test(hex) ? hex.padStart(4, '0') : undefined;
}

/** The guess for a vendor id, or undefined when the id is not in the table. */
export function guessUsbDevice(vendorId: string | undefined): UsbGuess | undefined {
  const id = normalizeUsbId(vendorId);
  return id === undefined ? undefined : VENDORS[id];
}
