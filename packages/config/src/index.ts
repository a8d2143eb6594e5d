export * from './load.ts';
export * from './infra.ts';
