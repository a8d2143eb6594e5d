import { createLogger } from '@sunsu/observability';
import { infra, uniqueName, waitFor } from '@sunsu/testkit';
import { startFlushSchedule, type FlushSchedule } from './flush-schedule.ts';

/** Real BullMQ on real Redis (database 7), one unique queue per test, two "replicas" in one process. */
describe('flush schedule', () => {
  const connection = { url: `${infra().CHAT_REDIS_URL}/7`, maxRetriesPerRequest: null };
  const logger = createLogger('syncer-test', 'silent');
  const schedules: FlushSchedule[] = [];
  afterEach(async () => {
    await Promise.all(schedules.splice(0).map((s) => s.close()));
  });

  it('runs the flush on an interval, exactly one run at a time across replicas', async () => {
    const queueName = uniqueName('flush');
    let active = 0;
    let maxActive = 0;
    const runsBy = [0, 0];
    const replica = (i: number) =>
      startFlushSchedule({
        queueName,
        connection,
        intervalMs: 100,
        logger,
        run: async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          runsBy[i]!++;
          await new Promise((r) => setTimeout(r, 150)); // longer than the interval: runs would overlap if allowed
          active--;
        },
      });
    schedules.push(await replica(0), await replica(1));
    // Extra runs asked for at once must wait their turn too.
    await Promise.all(schedules.map((s) => s.trigger()));
    await new Promise((r) => setTimeout(r, 3000));
    expect(maxActive).toBe(1);
    expect(runsBy[0]! + runsBy[1]!).toBeGreaterThanOrEqual(8);
  });

  it('keeps running after a failed run', async () => {
    const queueName = uniqueName('flush');
    let runs = 0;
    schedules.push(
      await startFlushSchedule({
        queueName,
        connection,
        intervalMs: 100,
        logger,
        run: async () => {
          runs++;
          if (runs === 1) throw new Error('postgres unavailable');
        },
      }),
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(runs).toBeGreaterThanOrEqual(3);
  });

  it('re-creates its schedule when Redis lost it', async () => {
    const queueName = uniqueName('flush');
    let runs = 0;
    schedules.push(await startFlushSchedule({ queueName, connection, intervalMs: 100, logger, run: async () => void runs++ }));
    await new Promise((r) => setTimeout(r, 500));
    const { createRedis } = await import('@sunsu/redis');
    const redis = createRedis(connection.url);
    await redis.flushdb();
    redis.disconnect();
    const before = runs;
    await new Promise((r) => setTimeout(r, 3500));
    expect(runs).toBeGreaterThan(before + 3);
  });

  it('reports a problem (readiness down) once its worker is closed', async () => {
    const queueName = uniqueName('flush');
    let runs = 0;
    const schedule = await startFlushSchedule({ queueName, connection, intervalMs: 100, logger, run: async () => void runs++ });
    await waitFor(() => runs >= 1, 10_000);
    expect(schedule.problem()).toBeUndefined();
    await schedule.close();
    expect(schedule.problem()).toBe('flush worker closed');
  });
});
