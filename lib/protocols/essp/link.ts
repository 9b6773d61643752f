/**
 * eSSP sequence-flag bookkeeping, one flag per slave address, as an immutable
 * value: every transition returns a new state, so the exchange layer can keep
 * it in a reducer and tests can check each rule without time or I/O.
 *
 * Rules (fact sheet section 5):
 * 1. The host keeps one flag per slave address; each *new* command uses the
 *    other flag than the previous command did.
 * 2. The slave remembers the flag of the last command it executed. A frame
 *    with the same flag is taken as a retransmission: not executed again, the
 *    cached reply is re-sent. So a retry must resend the identical bytes (same
 *    flag; for encrypted frames the same ciphertext), and the flag must not
 *    move before the command is known to have been executed.
 * 3. A reply echoes the command's address and flag. A different address is a
 *    foreign reply (another slave on the bus); a different flag is a stale
 *    reply (for an earlier command).
 * 4. SYNC (0x11) is always executed and resets the pairing: send it with
 *    flag 1, then the next command goes with flag 0, then alternate. SYNC is
 *    the first command of a session and follows any reset or loss of comms.
 * 5. Wait about 1 s for a reply; on a timeout or bad CRC resend the same
 *    bytes, up to about 20 times.
 * 6. Flip the flag only after a valid reply to the current command.
 */
import { assertEsspAddress, type EsspFrame } from './framing.js';

/** How long to wait for a reply before resending (ITL's SDK and common hosts use 1000 ms). */
export const ESSP_DEFAULT_TIMEOUT_MS = 1000;
/** How many times a command is sent before giving up (the manual gives up after 20). */
export const ESSP_DEFAULT_ATTEMPTS = 20;
/** Flag SYNC is always sent with (rule 4). */
export const ESSP_SYNC_SEQ = 1;

export type SeqFlag = 0 | 1;

/** How a received frame relates to the request in flight. */
export type ReplyVerdict = 'ok' | 'stale' | 'foreign';

export interface EsspRequestTag {
  readonly address: number;
  readonly seq: SeqFlag;
}

export interface EsspLinkState {
  /** Flag for the next new (non-SYNC) command to `address`. Before any SYNC this is 1, the SYNC flag. */
  nextSeq(address: number): SeqFlag;
  /** True once a SYNC to `address` was answered and no loss of comms was reported since. */
  isSynced(address: number): boolean;
  /**
   * Classify a received frame against the request in flight: `foreign` when
   * the address differs, `stale` when the flag differs, else `ok`. Does not
   * depend on the stored flags.
   */
  acceptReply(request: EsspRequestTag, reply: EsspFrame): ReplyVerdict;
  /** A valid reply to a non-SYNC command to `address` arrived: the next command uses the other flag. */
  commit(address: number): EsspLinkState;
  /** A valid reply to SYNC arrived: the next command to `address` uses flag 0. */
  afterSync(address: number): EsspLinkState;
  /** Every attempt failed or the device reset: `address` must be sent SYNC again before anything else. */
  lost(address: number): EsspLinkState;
}

interface AddressState {
  readonly next: SeqFlag;
  readonly synced: boolean;
}

/** An address nobody talked to yet: unsynced, and its first command (SYNC) goes with flag 1. */
const FRESH: AddressState = { next: ESSP_SYNC_SEQ, synced: false };

/** The four address states, shared by every link value. */
const ADDRESS_STATES: readonly (readonly [AddressState, AddressState])[] = [
  [
    { next: 0, synced: false },
    { next: 1, synced: false },
  ],
  [
    { next: 0, synced: true },
    { next: 1, synced: true },
  ],
];
const addressState = (next: SeqFlag, synced: boolean): AddressState => ADDRESS_STATES[synced ? 1 : 0]![next];

/** A link with no address synced yet. */
export function createLinkState(): EsspLinkState {
  return new LinkState([]);
}

/**
 * Addresses and their states as a short list (a bus has a handful of
 * addresses at most). A transition copies the list: it happens once per
 * reply, so it is kept to one small array and one object, methods on the
 * prototype.
 */
class LinkState implements EsspLinkState {
  readonly #addresses: readonly number[];
  readonly #states: readonly AddressState[];
  /**
   * Committing twice to the same address gives back the same state, so the
   * two values a polled address alternates between remember each other: the
   * steady poll makes no new value at all. A cache only; values stay immutable.
   */
  #committedAddress = -1;
  #committed: LinkState | undefined;
  constructor(addresses: readonly number[], states: readonly AddressState[] = []) {
    this.#addresses = addresses;
    this.#states = states;
  }
  #get(address: number): AddressState {
    const i = this.#addresses.indexOf(address);
    if (i >= 0) return this.#states[i]!; // checked when it was first set
    assertEsspAddress(address);
    return FRESH;
  }
  #set(address: number, value: AddressState): LinkState {
    const i = this.#addresses.indexOf(address);
    if (i < 0) return new LinkState([...this.#addresses, address], [...this.#states, value]);
    const states = this.#states.slice();
    states[i] = value;
    return new LinkState(this.#addresses, states);
  }
  // These two are asked once each per command: they look the address up
  // themselves rather than through #get, one call less on every poll.
  nextSeq(address: number): SeqFlag {
    const i = this.#addresses.indexOf(address);
    return i >= 0 ? this.#states[i]!.next : this.#get(address).next;
  }
  isSynced(address: number): boolean {
    const i = this.#addresses.indexOf(address);
    return i >= 0 ? this.#states[i]!.synced : this.#get(address).synced;
  }
  acceptReply(request: EsspRequestTag, reply: EsspFrame): ReplyVerdict {
    if (reply.address !== request.address) return 'foreign';
    if (reply.seq !== request.seq) return 'stale';
    return 'ok';
  }
  commit(address: number): EsspLinkState {
    if (address === this.#committedAddress && this.#committed !== undefined) return this.#committed;
    const current = this.#get(address);
    const next = this.#set(address, addressState(current.next === 1 ? 0 : 1, current.synced));
    this.#committedAddress = address;
    this.#committed = next;
    next.#committedAddress = address;
    next.#committed = this;
    return next;
  }
  afterSync(address: number): EsspLinkState {
    this.#get(address);
    return this.#set(address, addressState(0, true));
  }
  lost(address: number): EsspLinkState {
    this.#get(address);
    return this.#set(address, FRESH);
  }
}
