export * from './frame.ts';
export * from './codec.ts';
