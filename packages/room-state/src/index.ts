export * from './presence-store.ts';
export * from './read-state.ts';
