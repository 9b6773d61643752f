/**
 * Replays every input saved under spec/fixtures/fuzz/<protocol>/*.hex through
 * its target's oracles. Format: `# target: <name>` (required), optionally
 * `# skip: <why>` for a known, unfixed bug, other `#` lines as notes, then the
 * input as hex on one or more lines.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetByName } from '../../bench/fuzz-targets.js';
import { checkInput } from '../../bench/fuzz.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'fuzz');

interface CorpusEntry {
  readonly file: string;
  readonly target: string;
  readonly skip?: string;
  readonly input: Uint8Array;
}

function readCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const protocol of readdirSync(ROOT, { withFileTypes: true })) {
    if (!protocol.isDirectory()) continue;
    for (const name of readdirSync(join(ROOT, protocol.name)).sort()) {
      if (!name.endsWith('.hex')) continue;
      const file = `${protocol.name}/${name}`;
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      const tag = (key: string): string | undefined =>
        lines
          .find((l) => l.startsWith(`# ${key}:`))
          ?.slice(key.length + 3)
          .trim();
      const hexText = lines.filter((l) => !l.startsWith('#')).join(' ');
      const bytes = hexText.match(/[0-9a-f]{2}/gi) ?? [];
      const target = tag('target') ?? '';
      const skip = tag('skip');
      out.push({
        file,
        target,
        input: Uint8Array.from(bytes, (b) => parseInt(b, 16)),
        ...(skip ? { skip } : {}),
      });
    }
  }
  return out;
}

describe('fuzz corpus regressions (spec/fixtures/fuzz)', () => {
  const corpus = readCorpus();

  it('holds inputs for every protocol, each naming a known target', () => {
    for (const protocol of ['essp', 'cctalk', 'pyramid']) {
      expect(
        corpus.filter((c) => c.file.startsWith(`${protocol}/`)),
        protocol,
      ).to.not.be.empty;
    }
    for (const c of corpus)
      expect(targetByName(c.target), `${c.file}: '${c.target}'`).to.not.equal(undefined);
  });

  for (const c of corpus) {
    const title = `${c.file} (${c.target}) holds every oracle`;
    if (c.skip) {
      it.skip(`${title} — known bug: ${c.skip}`);
      continue;
    }
    it(title, () => {
      const target = targetByName(c.target);
      if (!target) expect.fail(`unknown target ${c.target}`);
      expect(checkInput(target, c.input)).to.equal(undefined);
    });
  }
});
