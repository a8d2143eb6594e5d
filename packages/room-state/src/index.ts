export * from './presence-store.ts';
export * from './read-state.ts';
export * from './members.ts';
export * from './room-order.ts';
export * from './profiles.ts';
export * from './fan-out-batch.ts';
