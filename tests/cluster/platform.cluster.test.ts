import { randomUUID } from 'node:crypto';
import { connectArchive, type ArchiveHandle } from '@sunsu/archive';
import { TOPICS } from '@sunsu/contracts';
import { createKafkaBus, type MessageBus } from '@sunsu/kafka';
import { createDirectRoom, historyAfter, randomUserId, ResilientRoomClient, waitFor } from '@sunsu/testkit';
import {
  MONGO_URL, KAFKA_BROKERS, RELEASE, REPO, Traffic, URL, deploymentOf, devToken, helm, isReady, killContainer, kubeJson,
  kubectl, podsOf, rolledOut, sampleWhile, sleep, type Pod,
} from './platform.ts';

/**
 * The platform on the real node (real containers from the project's images, Traefik in front), driven only through
 * the ingress URL while Kubernetes does what it does in production: deletes pods, rolls them, restarts crashed
 * containers, hands replicas to an autoscaler. Installed by infra/cluster-e2e.sh (`make test`).
 */
describe('ChatCluster on the real node, through the ingress', () => {
  let archive: ArchiveHandle;
  let bus: MessageBus;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    archive = await connectArchive(MONGO_URL);
    bus = createKafkaBus({ brokers: KAFKA_BROKERS, clientId: 'cluster-e2e' });
  });
  afterAll(async () => {
    await Promise.allSettled(cleanups.map((c) => c()));
    await archive?.close();
  });

  it('serves the public surface through the ingress and nothing internal', async () => {
    const page = await fetch(`${URL}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script');
    expect((await fetch(`${URL}/dist/app.js`)).status).toBe(200);
    // On chat-server's port for Prometheus and the kubelet, but not routed from outside.
    for (const path of ['/metrics', '/healthz', '/readyz']) expect({ path, status: (await fetch(`${URL}${path}`)).status }).toEqual({ path, status: 404 });
    const unauthenticated = await fetch(`${URL}/api/chat/rooms`);
    expect(unauthenticated.status).toBe(401);
    const pods = await podsOf('chat-server');
    expect(pods.filter(isReady)).toHaveLength(2);
  });

  it('cookie affinity keeps a SockJS HTTP-fallback session on one of the two pods; without the cookie it breaks', async () => {
    // The xhr transports spread one SockJS session over many requests: each must reach the pod that holds it.
    const send = (session: string, cookie?: string) =>
      fetch(`${URL}/ws/000/${session}/xhr_send`, { method: 'POST', body: '["\\n"]', headers: { 'content-type': 'text/plain', ...(cookie ? { cookie } : {}) } }).then((r) => r.status);
    const open = async () => {
      const session = randomUUID().replaceAll('-', '');
      const res = await fetch(`${URL}/ws/000/${session}/xhr`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('o\n');
      return { session, cookie: res.headers.get('set-cookie')?.split(';')[0] };
    };
    const sticky = await open();
    expect(sticky.cookie).toMatch(/^sunsu_chat_affinity=/);
    const withCookie: number[] = [];
    for (let i = 0; i < 20; i++) withCookie.push(await send(sticky.session, sticky.cookie));
    expect(withCookie.every((s) => s === 204)).toBe(true);
    // Without it the ingress balances the requests over both pods, and the other one does not know the session.
    const loose = await open();
    const withoutCookie: number[] = [];
    for (let i = 0; i < 20; i++) withoutCookie.push(await send(loose.session));
    expect(withoutCookie.filter((s) => s === 404).length).toBeGreaterThan(0);
    console.log(`affinity: 20/20 xhr_send with the cookie reached the session's pod; without it ${withoutCookie.filter((s) => s === 404).length}/20 hit the other pod (404)`);
  });

  it('a chat-server pod deleted under traffic: clients reconnect to the other replica and lose nothing', async () => {
    const traffic = await Traffic.start(6, 250);
    cleanups.push(() => traffic.close());
    await sleep(4000);
    const [victim] = await podsOf('chat-server');
    const started = Date.now();
    await kubectl(['delete', 'pod', victim!.metadata.name, '--wait=false']);
    await waitFor(async () => {
      const pods = await podsOf('chat-server');
      return !pods.some((p) => p.metadata.uid === victim!.metadata.uid) && pods.filter(isReady).length === 2;
    }, 120_000, 500);
    const replacedMs = Date.now() - started;
    // Available = ready for minReadySeconds: the next test starts from a settled Deployment.
    await waitFor(() => rolledOut('chat-server'), 120_000, 500);
    await sleep(3000);
    await traffic.stop();
    const result = await traffic.verify();
    expect(traffic.reconnects).toBeGreaterThan(0);
    console.log(`pod delete: ${result.messages} messages in ${traffic.rooms.length} rooms, ${traffic.reconnects} reconnects, ${result.caughtUp} deliveries by catch-up, replacement ready after ${replacedMs} ms`);
    await traffic.close();
  }, 240_000);

  it('a config change (helm upgrade) rolls the chat-servers one at a time and no message is lost', async () => {
    await waitFor(() => rolledOut('chat-server'), 120_000, 500);
    const traffic = await Traffic.start(6, 250);
    cleanups.push(() => traffic.close());
    await sleep(3000);
    const before = new Set((await podsOf('chat-server')).map((p) => p.metadata.uid));
    // Only chat-server's own env changes: only chat-server rolls.
    const upgrade = helm(['upgrade', RELEASE, `${REPO}charts/chat-cluster`, '--reuse-values', '--set', `chatServer.env.E2E_ROLL=r${Date.now()}`]).then(() =>
      waitFor(async () => (await rolledOut('chat-server')) && !(await podsOf('chat-server')).some((p) => before.has(p.metadata.uid)), 240_000, 500),
    );
    const samples = await sampleWhile(async () => {
      const [d, pods] = await Promise.all([deploymentOf('chat-server'), podsOf('chat-server')]);
      // Terminating pods (pre-stop sleep, socket drain) are leaving: maxSurge bounds the others.
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      return { available: d.status.availableReplicas ?? 0, pods: live.length, newNotReady: live.filter((p) => !before.has(p.metadata.uid) && !isReady(p)).length };
    }, upgrade, 250);
    await sleep(2000);
    await traffic.stop();
    const result = await traffic.verify();
    expect(samples.length).toBeGreaterThan(10);
    // maxUnavailable 0, maxSurge 1: never fewer than 2 serving, never more than one new pod starting.
    expect(Math.min(...samples.map((s) => s.available))).toBeGreaterThanOrEqual(2);
    expect(Math.max(...samples.map((s) => s.newNotReady))).toBeLessThanOrEqual(1);
    expect(Math.max(...samples.map((s) => s.pods))).toBeLessThanOrEqual(3);
    console.log(`rollout: ${samples.length} samples, min available ${Math.min(...samples.map((s) => s.available))}, max pods ${Math.max(...samples.map((s) => s.pods))}; ${result.messages} messages, ${traffic.reconnects} reconnects, ${result.caughtUp} by catch-up`);
    await traffic.close();
  }, 420_000);

  it('the dispatcher container killed mid-stream: every message persisted and saved exactly once', async () => {
    const TOTAL = 200;
    const sender = randomUserId();
    const recipient = randomUserId();
    const [ts, tr] = await Promise.all([devToken(sender, 'Sender'), devToken(recipient, 'Recipient', 'planner')]);
    const room = await createDirectRoom(URL, ts, recipient);
    const a = new ResilientRoomClient([URL], ts, room);
    const b = new ResilientRoomClient([URL], tr, room);
    cleanups.push(() => a.stop(), () => b.stop());
    await Promise.all([a.start(), b.start()]);
    const admin = await bus.admin();
    const from = await admin.endOffsets(TOPICS.chatMessageSaved);
    await admin.close();

    const [dispatcher] = await podsOf('dispatcher');
    const restartsBefore = dispatcher!.status.containerStatuses?.[0]?.restartCount ?? 0;
    const sent: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      if (i === 60) await killContainer(dispatcher!);
      sent.push(await a.send(`m${i}`));
      await sleep(60); // under the per-connection SEND rate
    }
    await waitFor(async () => (await archive.messages.countDocuments({ chatRoomCode: room })) >= TOTAL, 120_000, 500);
    await waitFor(async () => b.messages.size >= TOTAL || (await b.catchUp(), false), 60_000, 500);

    const docs = await archive.messages.find({ chatRoomCode: room }, { sequenceId: 1, messageId: 1 }).lean();
    expect(docs).toHaveLength(TOTAL);
    expect(docs.map((d) => d.sequenceId).sort((x, y) => x - y)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(new Set(docs.map((d) => d.messageId))).toEqual(new Set(sent));

    // Exactly one committed saved event per message (read_committed: aborted transactions are invisible).
    const read = await bus.readRange({ topic: TOPICS.chatMessageSaved, readCommitted: true, from, idleTimeoutMs: 5000 });
    const saved = read.records.map((r) => JSON.parse(r.value.toString()) as { chatRoomCode: string; messageId: string }).filter((e) => e.chatRoomCode === room);
    expect(saved).toHaveLength(TOTAL);
    expect(new Set(saved.map((e) => e.messageId)).size).toBe(TOTAL);

    expect(b.messages.size).toBe(TOTAL);
    expect(new Set(b.pushedSequences).size).toBe(b.pushedSequences.length);
    const restarted = (await podsOf('dispatcher')).find((p) => p.metadata.uid === dispatcher!.metadata.uid);
    expect(restarted?.status.containerStatuses?.[0]?.restartCount ?? 0).toBeGreaterThan(restartsBefore);
    const history = await historyAfter(URL, tr, room);
    expect(history).toHaveLength(TOTAL);
    console.log(`dispatcher kill: ${TOTAL} messages, ${new Set(b.pushedSequences).size} pushed live, ${TOTAL - new Set(b.pushedSequences).size} by catch-up`);
  }, 300_000);

  it('switching autoscaling on never dips chat-server below its current replicas', async () => {
    const before = await deploymentOf('chat-server');
    expect(before.spec.replicas).toBe(2);
    const on = helm(['upgrade', RELEASE, `${REPO}charts/chat-cluster`, '--reuse-values', '--set', 'chatServer.autoscaling.enabled=true',
      '--set', 'chatServer.autoscaling.minReplicas=1', '--set', 'chatServer.autoscaling.maxReplicas=4'])
      .then(() => waitFor(async () => (await kubectl(['get', 'hpa', '-o', 'name'])).includes(`${RELEASE}-chat-server`), 60_000, 250));
    // minReplicas 1 would allow the HPA to scale down, but only on metrics: the switch itself must keep 2.
    const replicas = await sampleWhile(async () => (await deploymentOf('chat-server')).spec.replicas ?? 0, on, 100, 15_000);
    expect(replicas.length).toBeGreaterThan(50);
    expect(Math.min(...replicas)).toBeGreaterThanOrEqual(2);
    const managers = (await kubeJson<{ metadata: { managedFields: { manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[] } }>(['get', 'deployment', `${RELEASE}-chat-server`, '--show-managed-fields']))
      .metadata.managedFields.filter((m) => m.fieldsV1?.['f:spec'] && 'f:replicas' in m.fieldsV1['f:spec']).map((m) => m.manager);
    expect(managers).not.toContain('chat-operator');
    // And off again: the operator owns replicas once more and sets the spec's count; the HPA is pruned.
    await helm(['upgrade', RELEASE, `${REPO}charts/chat-cluster`, '--reuse-values', '--set', 'chatServer.autoscaling.enabled=false']);
    await waitFor(async () => !(await kubectl(['get', 'hpa', '-o', 'name'])).includes(`${RELEASE}-chat-server`), 60_000, 500);
    await waitFor(() => rolledOut('chat-server'), 120_000, 500);
    expect((await deploymentOf('chat-server')).spec.replicas).toBe(2);
    console.log(`autoscaling switch: ${replicas.length} samples of spec.replicas, min ${Math.min(...replicas)}; replicas field owned by ${managers.join(', ')}`);
  }, 300_000);

  it('the migration Job completed before Ready; a helm upgrade that changes it replaces it and leaves no old Job or pod', async () => {
    type Cr = { metadata: { generation: number }; status: { observedGeneration?: number; schema?: { job: string }; conditions: { type: string; status: string }[] } };
    const cr = await kubeJson<Cr>(['get', 'chatcluster', RELEASE]);
    expect(cr.status.conditions.find((c) => c.type === 'SchemaReady')?.status).toBe('True');
    const oldJob = cr.status.schema!.job;
    expect((await kubeJson<{ status: { succeeded?: number } }>(['get', 'job', oldJob])).status.succeeded).toBe(1);
    // A new version of the Job (here: its backoff limit; in practice a new image) runs the migrations again.
    await helm(['upgrade', RELEASE, `${REPO}charts/chat-cluster`, '--reuse-values', '--set', 'migrations.backoffLimit=5']);
    const next = await waitFor(async () => {
      const c = await kubeJson<Cr>(['get', 'chatcluster', RELEASE]);
      const ready = c.status.conditions.find((x) => x.type === 'Ready')?.status === 'True';
      return ready && c.status.observedGeneration === c.metadata.generation && c.status.schema?.job !== oldJob ? c.status.schema!.job : undefined;
    }, 120_000, 500);
    expect((await kubeJson<{ status: { succeeded?: number } }>(['get', 'job', next])).status.succeeded).toBe(1);
    await waitFor(async () => {
      const jobs = await kubectl(['get', 'jobs', '-o', 'name']);
      const pods = await kubectl(['get', 'pods', '-l', `job-name=${oldJob}`, '-o', 'name']);
      return !jobs.includes(oldJob) && pods.trim() === '';
    }, 60_000, 500);
    const pods: Pod[] = await podsOf('chat-server');
    expect(pods.filter(isReady)).toHaveLength(2);
  }, 240_000);
});
