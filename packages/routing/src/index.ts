export * from './route-registry.ts';
export * from './inbox.ts';
