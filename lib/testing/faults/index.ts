/** Seeded fault injection for any Transport and inside the eSSP simulator, and byte mutators for fuzzing. */
export * from './plan.js';
export * from './faulty-line.js';
export * from './mutate.js';
export * from './essp-desync.js';
