export * from './claims.ts';
export * from './verify.ts';
export * from './sign.ts';
