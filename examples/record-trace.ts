// Record an eSSP session to a JSONL trace file, for a bug report or a
// regression test (docs/testing.md shows how to replay it).
//
//   npx tsx examples/record-trace.ts                      simulated NV9USB, writes session.jsonl
//   npx tsx examples/record-trace.ts --port /dev/ttyUSB0 --seconds 60 --out field.jsonl
//
// Each line is one frame: scheduler time, direction, protocol, address, hex
// and decoded name. Decrypted bytes are left out (traceDecrypted: false) so
// the file can be shared; keys never appear in a trace.
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Observable, lastValueFrom, of } from 'rxjs';
import { ESSP_LINE, type Transport, createEsspDevice, linkStats } from '../lib/index.js';
import { createEsspSimulator, createMemoryPair, recordTrace } from '../lib/testing/index.js';
import { openSerialTransport } from '../lib/transport/serialport.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    out: { type: 'string', default: 'session.jsonl' },
    seconds: { type: 'string', default: '3' },
  },
});

/** A real port, or a simulated unit that is handed a note after one second. */
function openLine(): Observable<Transport> {
  if (values.port) return openSerialTransport(values.port, ESSP_LINE);
  const [host, line] = createMemoryPair();
  const sim = createEsspSimulator(line, {
    profile: 'NV9USB',
    timing: { readMs: 50, rejectMs: 50, creditMs: 50 },
  });
  setTimeout(() => sim.insertNote(1), 1000);
  setTimeout(() => sim.dispose(), Number(values.seconds) * 1000 + 100);
  return of(host);
}

async function main(): Promise<void> {
  const transport = await lastValueFrom(openLine());
  const file = createWriteStream(values.out);
  // Subscribe to trace$ before anything is sent, so the first frames are kept.
  const device = createEsspDevice(transport);
  const recording = recordTrace(device.trace$, file);
  let last = '';
  const stats = linkStats(device.trace$, undefined, device.errors$).subscribe((s) => {
    const replies = s.latency ? `replies in ${s.latency.avgMs.toFixed(1)} ms on average` : 'no replies';
    last = `${s.tx} frames sent, ${s.rx} received, ${s.crcErrors} CRC errors, ${replies}`;
  });
  device.events$.subscribe((e) => {
    if (e.type === 'credit') console.log(`credit ${e.money.amount} ${e.money.currency}`);
  });

  await new Promise((resolve) => setTimeout(resolve, Number(values.seconds) * 1000));
  device.dispose();
  recording.unsubscribe();
  stats.unsubscribe();
  await lastValueFrom(transport.close(), { defaultValue: undefined });
  await new Promise((resolve) => file.end(resolve));
  console.log(`${last}; trace written to ${values.out}`);
}

await main();
