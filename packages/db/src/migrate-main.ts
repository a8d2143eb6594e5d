/**
 * Apply the Postgres migrations and exit: the command of the operator's migration Job (present in every platform
 * image). Reads CHAT_POSTGRES_URL; idempotent (drizzle records applied migrations), so a retried Job is harmless.
 * Exit code 0 = the schema of this image version is in place.
 */
import { createDatabase, runMigrations } from './client.ts';

const url = process.env.CHAT_POSTGRES_URL;
if (!url) {
  console.error(JSON.stringify({ level: 'error', msg: 'CHAT_POSTGRES_URL is required' }));
  process.exit(2);
}
const started = performance.now();
const database = createDatabase(url, { max: 1 });
try {
  await runMigrations(database.db);
  console.log(JSON.stringify({ level: 'info', msg: 'migrations applied', ms: Math.round(performance.now() - started) }));
} catch (err) {
  console.error(JSON.stringify({ level: 'error', msg: 'migrations failed', err: (err as Error).message }));
  process.exitCode = 1;
} finally {
  await database.close();
}
