import { expect } from 'chai';
import { backoffDelay } from '../../lib/operators/backoff.js';

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
