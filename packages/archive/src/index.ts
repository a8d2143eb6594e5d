export * from './message-model.ts';
export * from './insert-batch.ts';
export * from './ferretdb-indexes.ts';
export * from './queries.ts';
