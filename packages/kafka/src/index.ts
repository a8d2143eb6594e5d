export * from './port.ts';
export { createKafkaBus, isFencedError, type BusLogger, type KafkaBusOptions } from './kafkajs-bus.ts';
