import { expect } from 'chai';
import { InvalidArgumentError, OptionRangeError } from '../../lib/core/errors.js';
import { backoffDelay, resolveBackoff } from '../../lib/operators/backoff.js';
import { createCcTalkBus } from '../../lib/protocols/cctalk/bus.js';
import { resolveOptions as resolveEsspOptions } from '../../lib/protocols/essp/device/options.js';
import { createPyramidDevice } from '../../lib/protocols/pyramid/device.js';
import { NEVER, type Observable, defer } from 'rxjs';
import type { Transport } from '../../lib/transport/transport.js';

describe('backoffDelay', () => {
  it('starts at the initial delay and doubles per attempt', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 250, 60_000))).to.deep.equal([250, 500, 1000, 2000]);
  });
  it('never exceeds the cap, even after very many attempts', () => {
    expect(backoffDelay(9, 250, 5000)).to.equal(5000);
    expect(backoffDelay(10_000, 250, 5000)).to.equal(5000);
  });
  it('treats attempt 0 or less like the first attempt', () => {
    expect(backoffDelay(0, 100, 1000)).to.equal(100);
    expect(backoffDelay(-3, 100, 1000)).to.equal(100);
  });
});

describe('resolveBackoff', () => {
  const limits = {
    initialDelayMs: { min: 10, max: 60_000, default: 1000 },
    maxDelayMs: { min: 10, max: 600_000, default: 30_000 },
  };
  it('takes the defaults without options, and each value given within its range', () => {
    expect(resolveBackoff(undefined, limits)).to.deep.equal({ initialDelayMs: 1000, maxDelayMs: 30_000 });
    expect(resolveBackoff({ initialDelayMs: 50, maxDelayMs: 400 }, limits)).to.deep.equal({
      initialDelayMs: 50,
      maxDelayMs: 400,
    });
  });
  it('lets the default of the setting not given make way for the one given', () => {
    expect(resolveBackoff({ maxDelayMs: 400 }, limits)).to.deep.equal({
      initialDelayMs: 400,
      maxDelayMs: 400,
    });
    expect(resolveBackoff({ initialDelayMs: 45_000 }, limits)).to.deep.equal({
      initialDelayMs: 45_000,
      maxDelayMs: 45_000,
    });
  });
  it('refuses a value out of range or not a whole number of ms, an inverted pair and a non-object', () => {
    expect(() => resolveBackoff({ initialDelayMs: 5 }, limits)).to.throw(OptionRangeError, 'initialDelayMs');
    expect(() => resolveBackoff({ maxDelayMs: 10.5 }, limits)).to.throw(OptionRangeError, 'maxDelayMs');
    expect(() => resolveBackoff({ initialDelayMs: 500, maxDelayMs: 100 }, limits)).to.throw(
      InvalidArgumentError,
      'must not be below',
    );
    expect(() => resolveBackoff(5 as never, limits)).to.throw(InvalidArgumentError, 'must be an object');
  });
  it('is the rule of every driver: the same bad option is refused by each, before anything opens', () => {
    let opened = 0;
    const opener: Observable<Transport> = defer(() => {
      opened++;
      return NEVER;
    });
    const bad = { initialDelayMs: 500, maxDelayMs: 100 };
    expect(() => resolveEsspOptions({ reconnect: bad })).to.throw(InvalidArgumentError, 'must not be below');
    expect(() => createCcTalkBus(opener, { reconnect: bad })).to.throw(
      InvalidArgumentError,
      'must not be below',
    );
    expect(() => createPyramidDevice(opener, { reconnect: bad })).to.throw(
      InvalidArgumentError,
      'must not be below',
    );
    expect(() => createCcTalkBus(opener, { reconnect: 5 as never })).to.throw(InvalidArgumentError, 'object');
    expect(opened).to.equal(0);
  });
});
