import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';
import { api } from './api.ts';

export interface RoomMessage {
  messageId: string;
  senderId: string;
  content: string;
  sequenceId: number;
}

/**
 * What a well-behaved client does to lose nothing across server failures: reconnect (to the next server of the
 * list, as a load balancer would route it), re-subscribe, fetch everything after the last message it has
 * (`after=`), keep messages by sequence (so a push and a catch-up of the same message count once), and resend an
 * unacknowledged message with the same messageId until a RECEIPT arrives.
 */
export class ResilientRoomClient {
  readonly messages = new Map<number, RoomMessage>();
  readonly pushedSequences: number[] = [];
  reconnects = 0;
  private readonly client: Client;
  private readonly baseUrls: string[];
  private readonly token: string;
  private readonly roomCode: string;
  private urlIndex = 0;
  private connected = false;
  private connectedWaiters: (() => void)[] = [];

  constructor(baseUrls: string[], token: string, roomCode: string) {
    this.baseUrls = baseUrls;
    this.token = token;
    this.roomCode = roomCode;
    this.client = new Client({
      webSocketFactory: () => new WebSocket(this.currentUrl().replace(/^http/, 'ws') + '/stomp', ['v12.stomp']),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: 200,
      heartbeatIncoming: 2000,
      heartbeatOutgoing: 2000,
      onConnect: () => void this.onConnect(),
      onWebSocketClose: () => {
        if (this.connected) this.reconnects++;
        this.connected = false;
        this.urlIndex++; // fail over to the next server
      },
    });
  }

  private currentUrl(): string {
    return this.baseUrls[this.urlIndex % this.baseUrls.length]!;
  }

  start(): Promise<void> {
    this.client.activate();
    return this.whenConnected();
  }

  private whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((r) => this.connectedWaiters.push(r));
  }

  private async onConnect() {
    this.client.subscribe(`/topic/chat/rooms/${this.roomCode}`, (m) => {
      const msg = JSON.parse(m.body) as RoomMessage;
      this.pushedSequences.push(msg.sequenceId);
      this.messages.set(msg.sequenceId, msg);
    });
    this.connected = true;
    for (const w of this.connectedWaiters.splice(0)) w();
    await this.catchUp();
  }

  /** The highest sequence n such that 1..n are all held (a push after a gap must not hide the gap). */
  contiguous(): number {
    let n = 0;
    while (this.messages.has(n + 1)) n++;
    return n;
  }

  /** Fetch everything after the highest contiguous sequence held (history is the source of truth). */
  async catchUp(): Promise<void> {
    let after = this.contiguous();
    for (;;) {
      const res = await api<{ data: RoomMessage[]; hasNext: boolean; nextCursor: number | null }>(
        this.currentUrl(),
        this.token,
        'GET',
        `/api/chat/messages/${this.roomCode}?after=${after}&size=100`,
      ).catch(() => undefined);
      if (!res || res.status !== 200) return;
      for (const m of res.body.data) this.messages.set(m.sequenceId, m);
      if (!res.body.hasNext || res.body.nextCursor === null) return;
      after = res.body.nextCursor;
    }
  }

  /** Send until acknowledged, reusing the messageId across retries. */
  async send(content: string, messageId = randomUUID()): Promise<string> {
    for (;;) {
      await this.whenConnected();
      const receipt = randomUUID();
      const acked = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 3000);
        this.client.watchForReceipt(receipt, () => {
          clearTimeout(timer);
          resolve(true);
        });
        try {
          this.client.publish({
            destination: `/app/chat/rooms/${this.roomCode}/messages`,
            body: JSON.stringify({ messageId, content, messageType: 'TEXT' }),
            headers: { receipt },
          });
        } catch {
          clearTimeout(timer);
          resolve(false);
        }
      });
      if (acked) return messageId;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await this.client.deactivate();
  }
}
