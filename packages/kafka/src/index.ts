export * from './port.ts';
export { createKafkaBus, type KafkaBusOptions } from './kafkajs-bus.ts';
export { isFencedError } from './errors.ts';
export type { BusLogger } from './logging.ts';
