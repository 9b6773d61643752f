import { expect } from 'chai';
import { fromHex, toHex } from '../../../lib/core/bytes.js';
import { InvalidArgumentError } from '../../../lib/core/errors.js';
import { encodeBarcodeQuery } from '../../../lib/protocols/pyramid/extended.js';
import {
  decodeFrame,
  encodeHostPoll,
  encodeSoftReset,
  type AckBit,
} from '../../../lib/protocols/pyramid/framing.js';
import { createPyramidSimulator } from '../../../lib/protocols/pyramid/simulator/simulator.js';
import type {
  PyramidSimulator,
  PyramidSimulatorOptions,
} from '../../../lib/protocols/pyramid/simulator/types.js';
import {
  decodeStatusBytes,
  primaryState,
  type PyramidStatus,
} from '../../../lib/protocols/pyramid/status.js';
import { createMemoryPair } from '../../../lib/transport/memory.js';
import { createTestScheduler } from '../../helpers/marbles.js';

interface Bench {
  readonly sim: PyramidSimulator;
  /** Send a host frame at `ms`; the replies (hex) it got are pushed to `replies[label]`. */
  at(ms: number, work: () => void): void;
  send(bytes: Uint8Array): string[];
}

/** Run a script against the simulator in virtual time; returns the hex replies per send. */
function bench(options: PyramidSimulatorOptions, script: (b: Bench) => void): void {
  const ts = createTestScheduler();
  ts.run(() => {
    const [host, line] = createMemoryPair();
    const sim = createPyramidSimulator(line, { scheduler: ts, ...options });
    let inbox: string[] = [];
    host.data$.subscribe((chunk) => inbox.push(toHex(chunk)));
    const b: Bench = {
      sim,
      at: (ms, work) => void ts.schedule(work, ms),
      send: (bytes) => {
        inbox = [];
        host.write(bytes).subscribe();
        return inbox;
      },
    };
    script(b);
    ts.schedule(() => sim.dispose(), 60_000);
  });
}

const poll = (ack: AckBit, extra: Partial<Parameters<typeof encodeHostPoll>[0]> = {}): Uint8Array =>
  encodeHostPoll({ ack, enableMask: 0x7f, ...extra });

function status(hex: string | undefined): PyramidStatus {
  const f = decodeFrame(fromHex(hex ?? ''));
  if (f._tag === 'Left') throw new Error(f.left.message);
  const offset = f.right.messageType === 7 ? 1 : 0;
  const s = decodeStatusBytes(f.right.data, offset);
  if (s._tag === 'Left') throw new Error(s.left.message);
  return s.right;
}

describe('Pyramid simulator', () => {
  it('answers power-up with no state bit and the power-up flag, then idles', () => {
    const got: PyramidStatus[] = [];
    bench({}, (b) => {
      b.at(0, () => got.push(status(b.send(poll(0))[0])));
      b.at(500, () => got.push(status(b.send(poll(1))[0])));
    });
    expect(primaryState(got[0]!)).to.equal('initialising');
    expect(got[0]!.powerUp).to.equal(true);
    expect(primaryState(got[1]!)).to.equal('idling');
    expect(got[1]!).to.deep.include({ powerUp: false, cassettePresent: true, model: 16, revision: 17 });
  });

  it('replays its last reply verbatim when the ack does not change', () => {
    const replies: string[][] = [];
    bench({}, (b) => {
      b.at(500, () => replies.push(b.send(poll(0))));
      b.at(600, () => b.sim.insertBill(1)); // state changes meanwhile
      b.at(1000, () => replies.push(b.send(poll(0, { enableMask: 0 }))));
      b.at(1100, () => replies.push(b.send(poll(1))));
    });
    expect(replies[1]).to.deep.equal(replies[0]);
    expect(primaryState(status(replies[2]![0]))).to.equal('accepting');
  });

  it('holds Stacked (with the note index) until the next new ack, then clears it', () => {
    const seen: PyramidStatus[] = [];
    bench({}, (b) => {
      b.at(500, () => b.send(poll(0)));
      b.at(600, () => b.sim.insertBill(5));
      b.at(3000, () => seen.push(status(b.send(poll(1))[0])));
      b.at(3100, () => seen.push(status(b.send(poll(1))[0])));
      b.at(3200, () => seen.push(status(b.send(poll(0))[0])));
    });
    expect(seen.map((s) => [s.stacked, s.noteIndex])).to.deep.equal([
      [true, 5],
      [true, 5],
      [false, 0],
    ]);
  });

  it('is silent while it reads and stacks a note', () => {
    const counts: number[] = [];
    bench({ timing: { busyMs: 300, readMs: 600, stackMs: 600 } }, (b) => {
      b.at(500, () => b.send(poll(0)));
      b.at(600, () => b.sim.insertBill(1));
      b.at(700, () => counts.push(b.send(poll(1)).length)); // reading, busy
      b.at(1000, () => counts.push(b.send(poll(1)).length)); // still reading, answers
      b.at(1250, () => counts.push(b.send(poll(0)).length)); // stacking, busy
      b.at(1600, () => counts.push(b.send(poll(0)).length));
    });
    expect(counts).to.deep.equal([0, 1, 0, 1]);
  });

  it('honours the mask: a disabled note is rejected', () => {
    let s: PyramidStatus | undefined;
    bench({}, (b) => {
      b.at(500, () => b.send(poll(0, { enableMask: 0x7f & ~0x04 })));
      b.at(600, () => b.sim.insertBill(3));
      b.at(1500, () => (s = status(b.send(poll(1, { enableMask: 0x7b }))[0])));
    });
    expect(s).to.deep.include({ rejected: true, idling: true });
  });

  it('escrow: holds the note, stacks on the stack bit, returns on the return bit', () => {
    const states: string[] = [];
    let stats: PyramidSimulator['stats'] | undefined;
    bench({}, (b) => {
      b.at(500, () => b.send(poll(0, { escrow: true })));
      b.at(600, () => b.sim.insertBill(2));
      b.at(1500, () => states.push(primaryState(status(b.send(poll(1, { escrow: true }))[0]))));
      b.at(1600, () => states.push(primaryState(status(b.send(poll(0, { escrow: true, stack: true }))[0]))));
      b.at(2300, () => b.send(poll(1, { escrow: true }))); // Idle + Stacked
      b.at(2400, () => b.send(poll(0, { escrow: true }))); // acknowledged: the bezel takes notes again
      b.at(2500, () => b.sim.insertBill(3));
      b.at(3500, () => states.push(primaryState(status(b.send(poll(1, { escrow: true }))[0]))));
      b.at(3600, () => states.push(primaryState(status(b.send(poll(0, { escrow: true, return: true }))[0]))));
      b.at(5000, () => {
        b.send(poll(1, { escrow: true }));
        stats = b.sim.stats;
      });
    });
    expect(states).to.deep.equal(['escrowed', 'stacking', 'escrowed', 'returning']);
    expect(stats).to.deep.include({ inserted: 2, accepted: 1, returned: 1 });
  });

  it('takes no new item until the host has seen the outcome of the last one', () => {
    const taken: boolean[] = [];
    bench({}, (b) => {
      b.at(500, () => b.send(poll(0)));
      b.at(600, () => b.sim.insertBill(1));
      b.at(2000, () => taken.push(b.sim.insertBill(2))); // stacked, not yet reported
      b.at(2100, () => b.send(poll(1))); // reply carries Stacked
      b.at(2200, () => taken.push(b.sim.insertBill(2))); // not yet acknowledged
      b.at(2300, () => b.send(poll(0))); // new ack: delivered
      b.at(2400, () => taken.push(b.sim.insertBill(2)));
    });
    expect(taken).to.deep.equal([false, false, true]);
  });

  it('returns an escrowed note when no host message comes for 5 s', () => {
    let stats: PyramidSimulator['stats'] | undefined;
    bench({}, (b) => {
      b.at(500, () => b.send(poll(0, { escrow: true })));
      b.at(600, () => b.sim.insertBill(2));
      b.at(1500, () => b.send(poll(1, { escrow: true })));
      b.at(8000, () => (stats = b.sim.stats));
    });
    expect(stats?.returned).to.equal(1);
  });

  it('reports cashbox removal, jam, cheat and stacker full', () => {
    const seen: PyramidStatus[] = [];
    let ack: AckBit = 0;
    const next = (b: Bench): PyramidStatus => {
      ack = ack === 0 ? 1 : 0;
      return status(b.send(poll(ack))[0]);
    };
    bench({ stackerCapacity: 1 }, (b) => {
      b.at(500, () => next(b));
      b.at(600, () => b.sim.removeCashbox());
      b.at(700, () => seen.push(next(b)));
      b.at(800, () => b.sim.replaceCashbox());
      b.at(900, () => b.sim.jam());
      b.at(1000, () => seen.push(next(b)));
      b.at(1100, () => b.sim.clearJam());
      b.at(1200, () => b.sim.cheat());
      b.at(1300, () => seen.push(next(b)));
      b.at(1400, () => b.sim.insertBill(1));
      b.at(3000, () => seen.push(next(b)));
    });
    expect(seen[0]!.cassettePresent).to.equal(false);
    expect(seen[1]!.jammed).to.equal(true);
    expect(seen[2]!).to.deep.include({ cheated: true, jammed: false });
    expect(seen[3]!).to.deep.include({ stacked: true, stackerFull: true });
  });

  it('soft reset: no reply, deaf for a while, then power-up; counts as a reset', () => {
    const counts: number[] = [];
    let resets = 0;
    bench({ timing: { resetMs: 1000 } }, (b) => {
      b.at(500, () => counts.push(b.send(poll(0)).length));
      b.at(600, () => counts.push(b.send(encodeSoftReset(1)).length));
      b.at(700, () => counts.push(b.send(poll(0)).length));
      b.at(1700, () => {
        counts.push(b.send(poll(0)).length);
        resets = b.sim.stats.resets;
      });
    });
    expect(counts).to.deep.equal([1, 0, 0, 1]);
    expect(resets).to.equal(1);
  });

  it('barcode tickets: the escrowed ticket comes in the extended reply; the query returns the last one', () => {
    const replies: string[] = [];
    bench({}, (b) => {
      b.at(500, () => b.send(poll(0, { escrow: true, barcode: true })));
      b.at(600, () => b.sim.insertBarcode('ABC123'));
      b.at(1500, () => replies.push(b.send(poll(1, { escrow: true, barcode: true }))[0]!));
      b.at(1600, () => replies.push(b.send(encodeBarcodeQuery(0))[0]!));
    });
    for (const r of replies) {
      const f = decodeFrame(fromHex(r));
      expect(f._tag).to.equal('Right');
      expect(r.split(' ')[1]).to.equal('28'); // 40-byte frame
    }
    expect(status(replies[0]).escrowed).to.equal(true);
  });

  it('overrides and dropped replies inject faults; the dropped reply still counts as sent', () => {
    const counts: number[] = [];
    let replays = 0;
    bench({}, (b) => {
      b.at(500, () => {
        b.sim.dropReplies(1);
        counts.push(b.send(poll(0)).length);
      });
      b.at(600, () => {
        counts.push(b.send(poll(0)).length);
        replays = b.sim.stats.replays;
      });
      b.at(700, () => {
        const remove = b.sim.override(() => fromHex('01 02 03'));
        counts.push(b.send(poll(1)).length);
        remove();
      });
    });
    expect(counts).to.deep.equal([0, 1, 1]);
    expect(replays).to.equal(1);
  });

  it('refuses a bill index outside 1..7 and an over-long barcode', () => {
    bench({}, (b) => {
      expect(() => b.sim.insertBill(0)).to.throw(InvalidArgumentError);
      expect(() => b.sim.insertBill(8)).to.throw(InvalidArgumentError);
      expect(() => b.sim.insertBarcode('x'.repeat(29))).to.throw(InvalidArgumentError);
    });
  });

  it('power cycle: ack memory gone, the next poll is fresh whatever its ack', () => {
    const replies: string[][] = [];
    let stats: PyramidSimulator['stats'] | undefined;
    bench({}, (b) => {
      b.at(500, () => replies.push(b.send(poll(0))));
      b.at(600, () => b.sim.powerCycle());
      b.at(700, () => {
        replies.push(b.send(poll(0)));
        stats = b.sim.stats;
      });
    });
    expect(status(replies[1]![0]).powerUp).to.equal(true);
    expect(stats).to.deep.include({ replays: 0, resets: 1 });
  });
});
