/**
 * Typed errors. Every error cashwire raises is a {@link CashwireError} with a
 * stable string `code` callers can branch on and structured `info` that tools
 * can log as data. Messages say what happened and what to do about it.
 *
 * Secrets (keys, Diffie-Hellman numbers) never go into `info` or `message`.
 */

export type ErrorInfo = Readonly<Record<string, unknown>>;

export class CashwireError extends Error {
  override readonly name: string = 'CashwireError';
  readonly code: string;
  readonly info: ErrorInfo;

  constructor(code: string, message: string, info: ErrorInfo = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.info = info;
  }

  toJSON(): { name: string; code: string; message: string; info: ErrorInfo } {
    return { name: this.name, code: this.code, message: this.message, info: this.info };
  }
}

/** An argument, option or command name was rejected before anything reached the wire. */
export class InvalidArgumentError extends CashwireError {
  override readonly name = 'InvalidArgumentError';
  constructor(message: string, info: ErrorInfo = {}) {
    super('INVALID_ARGUMENT', message, info);
  }
}

/** A named option is outside its documented range. */
export class OptionRangeError extends CashwireError {
  override readonly name = 'OptionRangeError';
  constructor(option: string, value: unknown, min: number, max: number, unit = '') {
    const u = unit ? ` ${unit}` : '';
    super(
      'OPTION_OUT_OF_RANGE',
      `Option '${option}' must be between ${min}${u} and ${max}${u}, got ${String(value)}.`,
      { option, value, min, max },
    );
  }
}

/** The command name is not in the protocol's command table. */
export class UnknownCommandError extends CashwireError {
  override readonly name = 'UnknownCommandError';
  constructor(protocol: string, command: string, suggestions: readonly string[] = []) {
    const hint = suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : '';
    super('UNKNOWN_COMMAND', `Unknown ${protocol} command '${command}'.${hint}`, { protocol, command });
  }
}

/** No valid reply arrived after every attempt. */
export class CommandTimeoutError extends CashwireError {
  override readonly name = 'CommandTimeoutError';
  constructor(command: string, attempts: number, elapsedMs: number, extra: ErrorInfo = {}) {
    super(
      'COMMAND_TIMEOUT',
      `No valid reply to ${command} after ${attempts} attempt(s) in ${elapsedMs} ms. ` +
        'Check the cable, the port, the line settings and the device address.',
      { command, attempts, elapsedMs, ...extra },
    );
  }
}

/** A frame's checksum did not match. Reported as a diagnostic value, not thrown into streams. */
export class CrcError extends CashwireError {
  override readonly name = 'CrcError';
  constructor(protocol: string, expected: number, actual: number, hex: string) {
    super('CRC_MISMATCH', `${protocol} frame checksum mismatch (expected ${expected}, got ${actual}).`, {
      protocol,
      expected,
      actual,
      hex,
    });
  }
}

/** Bytes could not be decoded into the structure they claim to be. */
export class DecodeError extends CashwireError {
  override readonly name = 'DecodeError';
  constructor(message: string, info: ErrorInfo = {}) {
    super('DECODE_FAILED', message, info);
  }
}

/** The device answered with a generic failure response (eSSP 0xF2..0xFA, ccTalk NAK, ...). */
export class DeviceError extends CashwireError {
  override readonly name = 'DeviceError';
  constructor(command: string, response: string, message: string, info: ErrorInfo = {}) {
    super('DEVICE_ERROR', message, { command, response, ...info });
  }
  get response(): string {
    return this.info['response'] as string;
  }
}

/** An encrypted packet failed its inner checks (count, CRC, length). */
export class DecryptionError extends CashwireError {
  override readonly name = 'DecryptionError';
  constructor(reason: string, info: ErrorInfo = {}) {
    super('DECRYPT_FAILED', `Encrypted packet rejected: ${reason}.`, info);
  }
}

/** The command needs an encrypted session and none is up. Nothing was sent. */
export class EncryptionRequiredError extends CashwireError {
  override readonly name = 'EncryptionRequiredError';
  constructor(command: string) {
    super(
      'ENCRYPTION_REQUIRED',
      `${command} must be sent encrypted, and no encryption key is negotiated. ` +
        "Connect with encryption 'required' or 'auto', or call initEncryption() first.",
      { command },
    );
  }
}

/** The transport is closed or could not be opened. */
export class TransportError extends CashwireError {
  override readonly name = 'TransportError';
  constructor(message: string, info: ErrorInfo = {}, options?: { cause?: unknown }) {
    super('TRANSPORT_ERROR', message, info, options);
  }
}

/** The device or session was disposed while work was pending. */
export class DisposedError extends CashwireError {
  override readonly name = 'DisposedError';
  constructor(what: string) {
    super('DISPOSED', `${what} was disposed.`, { what });
  }
}

/** The command is not supported by the connected unit type. Nothing was sent. */
export class UnsupportedCommandError extends CashwireError {
  override readonly name = 'UnsupportedCommandError';
  constructor(command: string, unit: string) {
    super('UNSUPPORTED_COMMAND', `${command} is not supported by a ${unit}.`, { command, unit });
  }
}

export function isCashwireError(e: unknown): e is CashwireError {
  return e instanceof CashwireError;
}
