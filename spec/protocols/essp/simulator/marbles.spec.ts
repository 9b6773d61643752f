import { map, take, timer } from 'rxjs';
import { createMemoryPair } from '../../../../lib/transport/memory.js';
import { createEsspSimulator } from '../../../../lib/protocols/essp/simulator/index.js';
import { createTestScheduler } from '../../../helpers/marbles.js';
import type { EsspEvent } from '../../../../lib/protocols/essp/events/types.js';
import { TestHost } from './host.js';

const label = (events: readonly EsspEvent[]): string =>
  events
    .map((e) => ('channel' in e && e.channel !== undefined ? `${e.event} ${e.channel}` : e.event))
    .join('+');

describe('eSSP simulator: virtual time with the marble TestScheduler', () => {
  it('a host polling every 200 ms sees the note cycle at the expected instants', () => {
    const scheduler = createTestScheduler();
    scheduler.run(({ expectObservable }) => {
      const [hostEnd, line] = createMemoryPair();
      const sim = createEsspSimulator(line, { profile: 'NV10USB', scheduler });
      const host = new TestHost(hostEnd, 0);
      host.sync();
      host.command('SET_CHANNEL_INHIBITS', { channels: [1, 1, 1] });
      host.command('ENABLE');
      host.poll();
      sim.insertNote(3);
      const polls$ = timer(200, 200).pipe(
        take(8),
        map(() => label(host.poll())),
      );
      expectObservable(polls$).toBe('200ms a 199ms b 199ms c 199ms c 199ms d 199ms c 199ms c 199ms (e|)', {
        a: 'READ_NOTE 0',
        b: 'READ_NOTE 3',
        c: 'NOTE_STACKING',
        d: 'CREDIT_NOTE 3+NOTE_STACKING',
        e: 'NOTE_STACKED',
      });
    });
  });
});
