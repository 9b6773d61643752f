import { expect } from 'chai';
import type { LinkStats } from '../../../../lib/operators/stats.js';
import { createEsspDevice } from '../../../../lib/protocols/essp/device/device.js';
import { createEsspSimulator } from '../../../../lib/protocols/essp/simulator/index.js';
import { createMemoryPair } from '../../../../lib/transport/memory.js';
import { createTestScheduler } from '../../../helpers/marbles.js';

describe('eSSP device stats$', () => {
  it('counts frames, resends after a lost reply, and latency, in virtual time', () => {
    const ts = createTestScheduler();
    ts.run(() => {
      const [host, line] = createMemoryPair();
      const sim = createEsspSimulator(line, { profile: 'NV9USB', scheduler: ts });
      const dev = createEsspDevice(host, { scheduler: ts, encryption: 'off' });
      let last: LinkStats | undefined;
      dev.stats$.subscribe((s) => (last = s));
      let dropped = false;
      ts.schedule(() => {
        // Lose exactly one reply from now on: the device must resend and count it.
        sim.intercept({
          outbound: (bytes) => {
            if (dropped) return bytes;
            dropped = true;
            return undefined;
          },
        });
      }, 1000);
      ts.schedule(() => {
        expect(last).to.not.equal(undefined);
        expect(last!.tx).to.be.greaterThan(last!.rx);
        expect(last!.rx).to.be.greaterThan(5);
        expect(last!.timeouts).to.equal(1);
        expect(last!.retries).to.equal(1);
        expect(last!.latency?.samples ?? 0).to.be.greaterThan(0);
        dev.dispose();
        sim.dispose();
      }, 4000);
    });
  });
});
