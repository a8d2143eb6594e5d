// Kafka is "ready" when the group and transaction coordinators answer, not when the port opens:
// right after start both reply "coordinator is loading" for a second or two.
// Usage: node kafka-ready.mjs <broker> <timeoutSeconds>
import { Kafka, logLevel } from 'kafkajs';

const [broker = '127.0.0.1:19092', timeoutArg = '60'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const kafka = new Kafka({ clientId: 'sunsu-ready', brokers: [broker], logLevel: logLevel.NOTHING,
  retry: { initialRetryTime: 100, retries: 8 } });

async function probe() {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeCluster();
    const topic = '__sunsu_ready';
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    }
    await admin.fetchOffsets({ groupId: 'sunsu-ready', topics: [topic] }); // group coordinator
    const producer = kafka.producer({ transactionalId: 'sunsu-ready', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const tx = await producer.transaction(); // transaction coordinator
      await tx.send({ topic, messages: [{ value: 'ready' }] });
      await tx.commit();
    } finally { await producer.disconnect(); }
  } finally { await admin.disconnect(); }
}

for (;;) {
  try { await probe(); console.log('kafka-ready: coordinators answer'); process.exit(0); }
  catch (err) {
    if (Date.now() > deadline) { console.error('kafka-ready: giving up:', err.message); process.exit(1); }
    await new Promise((r) => setTimeout(r, 500));
  }
}
