import { expect } from 'chai';
import { continuesNote, laterStage, noteStage } from '../../../lib/protocols/pyramid/note-stage.js';
import { status } from './host-line.js';

describe('Pyramid note stages (note-stage.ts)', () => {
  it('names how far the note a status shows has come; a Stacked bit already accepted is none', () => {
    expect(noteStage(status({ accepting: true }), false)).to.equal('accepting');
    expect(noteStage(status({ escrowed: true, noteIndex: 3 }), false)).to.equal('escrowed');
    expect(noteStage(status({ stacking: true }), false)).to.equal('stacking');
    expect(noteStage(status({ idling: true, stacked: true, noteIndex: 3 }), false)).to.equal('stacked');
    expect(noteStage(status({ idling: true, stacked: true, noteIndex: 3 }), true)).to.equal(undefined);
    expect(noteStage(status({ idling: true }), false)).to.equal(undefined);
    expect(laterStage('accepting', 'stacking')).to.equal('stacking');
    expect(laterStage('stacked', 'escrowed')).to.equal('stacked');
  });

  it('a note only moves forward and keeps its index: anything else is another note', () => {
    const stacking = { stage: 'stacking', index: 4 } as const;
    // Soak seed 341: Stacking, then Accepting across a gap is the next note.
    expect(continuesNote(status({ accepting: true }), stacking)).to.equal(false);
    expect(continuesNote(status({ escrowed: true, noteIndex: 4 }), stacking)).to.equal(false);
    expect(continuesNote(status({ stacking: true, noteIndex: 4 }), stacking)).to.equal(true);
    expect(continuesNote(status({ stacking: true }), stacking)).to.equal(true);
    expect(continuesNote(status({ stacking: true, noteIndex: 5 }), stacking)).to.equal(false);
    expect(continuesNote(status({ returning: true }), stacking)).to.equal(true);
    expect(continuesNote(status({ idling: true }), stacking)).to.equal(false);
    const accepting = { stage: 'accepting', index: 0 } as const;
    expect(continuesNote(status({ escrowed: true, noteIndex: 2 }), accepting)).to.equal(true);
    expect(continuesNote(status({ accepting: true }), accepting)).to.equal(true);
    // A Stacked note never shows in the transport again, nor on its way back out.
    const stacked = { stage: 'stacked', index: 4 } as const;
    expect(continuesNote(status({ stacking: true, noteIndex: 4 }), stacked)).to.equal(false);
    expect(continuesNote(status({ returning: true }), stacked)).to.equal(false);
  });
});
