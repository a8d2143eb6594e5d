import postgres from 'postgres';
import { COLLECTION } from './message-model.ts';

/**
 * FerretDB (the local and test stand-in for MongoDB) stores each collection as a Postgres table of JSONB
 * documents and filters with `_jsonb->'field' @> value`, which its own indexes cannot serve: without help every
 * `_id` or `chatRoomCode` lookup scans the whole archive. Expression GIN indexes on the backing table make those
 * lookups index scans. Real MongoDB needs none of this (its indexes are created by `connectArchive`).
 */
export async function addFerretDbIndexes(backendUrl: string, database: string): Promise<string[]> {
  const sql = postgres(backendUrl, { max: 1, onnotice: () => undefined });
  try {
    const tables = await sql<{ table: string }[]>`
      select table_name as table from information_schema.tables
      where table_schema = ${database} and table_name like ${`${COLLECTION}_%`}`;
    const created: string[] = [];
    for (const { table } of tables) {
      for (const field of ['_id', 'chatRoomCode']) {
        const name = `${table}_${field.toLowerCase().replace(/[^a-z]/g, '')}_gin`;
        await sql.unsafe(`CREATE INDEX IF NOT EXISTS "${name}" ON "${database}"."${table}" USING gin ((_jsonb->'${field}'))`);
        created.push(`${database}.${name}`);
      }
    }
    return created;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
