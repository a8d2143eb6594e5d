/**
 * Bring the stores to the shape the platform needs: Postgres migrations and Kafka topics (with their
 * dead-letter topics). Idempotent; run by `make up` and `make test`, and safe to run against managed servers.
 */
import { InfraEnv, loadConfig } from '@sunsu/config';
import { allTopics } from '@sunsu/contracts';
import { createKafkaBus } from '@sunsu/kafka';
import { createDatabase, runMigrations } from '@sunsu/db';
import { addFerretDbIndexes, connectArchive } from '@sunsu/archive';

const env = loadConfig(InfraEnv);

const database = createDatabase(env.CHAT_POSTGRES_URL, { max: 1 });
await runMigrations(database.db);
await database.close();
console.log('postgres: migrations applied');

const admin = await createKafkaBus({ brokers: env.CHAT_KAFKA_BROKERS, clientId: 'sunsu-provision' }).admin();
const result = await admin.ensureTopics(
  allTopics().map((topic) => ({
    topic,
    partitions: env.CHAT_KAFKA_PARTITIONS,
    replicationFactor: env.CHAT_KAFKA_REPLICATION,
    config: { 'retention.ms': String(7 * 24 * 3600 * 1000) },
  })),
);
await admin.close();
console.log(`kafka: topics created=${JSON.stringify(result.created)} grown=${JSON.stringify(result.grown)}`);
for (const t of result.cannotShrink) {
  console.warn(`kafka: topic ${t.topic} has ${t.actual} partitions, more than the configured ${t.wanted}; Kafka cannot shrink it`);
}

// The archive's collection and indexes; for the local FerretDB also the backing-table indexes it needs.
const archive = await connectArchive(env.CHAT_MONGO_URL);
const archiveDb = archive.connection.db!.databaseName;
await archive.close();
const ferretBackend = process.env.CHAT_FERRETDB_BACKEND_URL;
if (ferretBackend) console.log(`ferretdb: indexes ${JSON.stringify(await addFerretDbIndexes(ferretBackend, archiveDb))}`);
console.log('mongodb: archive collection and indexes ready');
