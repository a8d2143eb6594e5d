import WebSocket from 'ws';
import { encodeFrame } from '@sunsu/stomp';
import { randomUserId, startService, tokenFor, type RunningService } from '@sunsu/testkit';

/**
 * A half-open peer — one that stopped answering at the TCP level — is found by the server's WebSocket ping even
 * when the client negotiated `heart-beat:0,0` (no STOMP heart-beats at all): the socket is closed after missing
 * one ping round. A live client, which answers pings, stays connected.
 */
describe('dead peers on /stomp (real chat-server)', () => {
  let server: RunningService;

  beforeAll(async () => {
    server = await startService('chat-server', 'it-dead-peer-chat', { CHAT_WS_PING_MS: '1000' });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function connect(autoPong: boolean): Promise<{ ws: WebSocket; closed: Promise<number> }> {
    const token = await tokenFor(randomUserId());
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/stomp`, ['v12.stomp'], { autoPong });
    const closed = new Promise<number>((resolve) => ws.once('close', () => resolve(Date.now())));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const connected = new Promise((resolve) => ws.once('message', resolve));
    ws.send(encodeFrame({ command: 'CONNECT', headers: { 'accept-version': '1.2', Authorization: `Bearer ${token}`, 'heart-beat': '0,0' } }));
    await connected;
    return { ws, closed };
  }

  it('closes a connection that stops answering pings, and keeps one that answers', async () => {
    const silent = await connect(false);
    const live = await connect(true);
    const started = Date.now();
    const closedAt = await Promise.race([silent.closed, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
    expect(closedAt).toBeGreaterThan(0);
    // One round to send the ping, one to find it unanswered.
    expect(closedAt - started).toBeLessThan(5000);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    live.ws.close();
  }, 30_000);
});
