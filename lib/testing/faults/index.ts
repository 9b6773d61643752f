/** Seeded fault injection for any Transport, and byte mutators for fuzzing. */
export * from './plan.js';
export * from './faulty-line.js';
export * from './mutate.js';
