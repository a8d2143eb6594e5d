import { jest } from '@jest/globals';
import { allTopics } from '@sunsu/contracts';
import { createKafkaBus, type Admin } from '@sunsu/kafka';
import { Kube, resourcePath } from '../controller/kube.ts';
import type { ChatOperator } from '../controller/operator.ts';
import {
  KAFKA_BROKERS, adminKubeConfig, applyCluster, condition, createNamespace, deleteNamespace, getCluster,
  installCrdAndRbac, operatorKubeConfig, startOperator, testPartitions, waitFor,
} from '../testing/cluster.ts';
import { rawSpec } from '../testing/fixtures.ts';

// Topics in the real Kafka of the test run (CHAT_KAFKA_BROKERS). The platform's topic names are fixed, so this
// suite only asks for the partition count the run's Kafka already has (or 6 on a fresh Kafka): it never grows the
// shared topics. Growth itself is covered by packages/kafka's ensureTopics test and topics.test.ts.
jest.setTimeout(90_000);
const admin = new Kube(adminKubeConfig());
let operator: ChatOperator;
let ns: string;
let kafka: Admin;
let partitions = 6;

const spec = (partitions: number) =>
  rawSpec({
    chatServer: { image: 'sunsu/chat-server:1.0.0', replicas: 1 },
    dispatcher: { image: 'sunsu/dispatcher:1.0.0', replicas: 1 },
    syncer: { image: 'sunsu/syncer:1.0.0', replicas: 1 },
    kafka: { bootstrapServers: KAFKA_BROKERS, topics: { partitions, retentionHours: 24 } },
  });

beforeAll(async () => {
  partitions = await testPartitions();
  await installCrdAndRbac(admin);
  ns = await createNamespace(admin, 'op-topics');
  // Watching only this namespace keeps suites that share the API server out of each other's way.
  operator = startOperator(await operatorKubeConfig(admin), { watchNamespace: ns });
  kafka = await createKafkaBus({ brokers: KAFKA_BROKERS.split(','), clientId: 'operator-topics-test' }).admin();
});

afterAll(async () => {
  await operator?.stop();
  await kafka?.close();
  if (ns) await deleteNamespace(admin, ns);
});

describe('Kafka topics of a ChatCluster', () => {
  it('exist in Kafka with the asked partitions once TopicsReady is True, and the status lists them', async () => {
    await applyCluster(admin, ns, 'topics', spec(partitions));
    const cr = await waitFor('TopicsReady', async () => {
      const c = await getCluster(admin, ns, 'topics');
      return condition(c, 'TopicsReady')?.status === 'True' ? c : undefined;
    }, 60_000);
    const inKafka = await kafka.listTopics();
    for (const t of allTopics()) {
      expect(inKafka).toContain(t);
      expect(await kafka.partitionCount(t)).toBe(partitions);
    }
    expect(cr!.status?.topics?.map((t) => t.name).sort()).toEqual([...allTopics()].sort());
  });

  it('refuses to shrink: a ChatCluster asking for fewer partitions than Kafka has gets a clear condition', async () => {
    await applyCluster(admin, ns, 'shrink', spec(partitions - 1));
    const cr = await waitFor('TopicsReady=False', async () => {
      const c = await getCluster(admin, ns, 'shrink');
      return condition(c, 'TopicsReady')?.status === 'False' ? c : undefined;
    }, 60_000);
    const topics = condition(cr, 'TopicsReady')!;
    expect(topics.reason).toBe('PartitionShrinkRefused');
    expect(topics.message).toContain('Kafka cannot remove partitions');
    expect(topics.message).toContain(`chat-message has ${partitions} partitions, spec asks for ${partitions - 1}`);
    expect(condition(cr, 'Ready')?.status).toBe('False');
    // Kafka was not changed
    expect(await kafka.partitionCount('chat-message')).toBe(partitions);
    const events = await admin.list<{ reason: string; involvedObject: { name: string } }>(resourcePath('v1', 'events', ns));
    expect(events.items.some((e) => e.involvedObject.name === 'shrink' && e.reason === 'PartitionShrinkRefused')).toBe(true);
  });

  it('reports an unreachable Kafka in the status instead of failing silently', async () => {
    const s = spec(partitions);
    (s.kafka as { bootstrapServers: string }).bootstrapServers = '127.0.0.1:1';
    await applyCluster(admin, ns, 'nokafka', s);
    const cr = await waitFor('KafkaUnavailable', async () => {
      const c = await getCluster(admin, ns, 'nokafka');
      return condition(c, 'TopicsReady')?.reason === 'KafkaUnavailable' ? c : undefined;
    }, 60_000);
    expect(condition(cr, 'Ready')?.status).toBe('False');
    expect(condition(cr, 'Reconciled')?.status).toBe('True'); // the children were still applied
  });
});
