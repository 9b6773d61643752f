import { expect } from 'chai';
import { BusyState } from '../../lib/operators/exchange-busy.js';

describe('BusyState (the request queue busy$)', () => {
  it('a listener that sends on idle: every listener hears idle, then busy, and ends on what the queue is', () => {
    let busy = true;
    const state = new BusyState(() => busy);
    state.update();
    const first: boolean[] = [];
    const second: boolean[] = [];
    // The first listener sends a request as soon as the queue is idle (the queue is busy again at once).
    state.busy$.subscribe((b) => {
      first.push(b);
      if (!b) {
        busy = true;
        state.update();
      }
    });
    state.busy$.subscribe((b) => second.push(b));
    busy = false;
    state.update();
    expect(first).to.deep.equal([true, false, true]);
    expect(second).to.deep.equal([true, false, true]);
    expect(state.now).to.equal(true);
  });

  it('emits nothing for an update that changes nothing, and completes after a last idle on end()', () => {
    let busy = false;
    const state = new BusyState(() => busy);
    const heard: (boolean | 'end')[] = [];
    state.busy$.subscribe({ next: (b) => heard.push(b), complete: () => heard.push('end') });
    state.update();
    busy = true;
    state.update();
    state.update();
    state.end();
    expect(heard).to.deep.equal([false, true, false, 'end']);
    expect(state.ended).to.equal(true);
  });
});
