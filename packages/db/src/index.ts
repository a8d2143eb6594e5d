export * as schema from './schema.ts';
export { users, chatRooms, chatRoomParticipants, syncQuarantine } from './schema.ts';
export { createDatabase, runMigrations, MIGRATIONS_FOLDER, type Database, type DatabaseHandle } from './client.ts';
export * from './queries.ts';
