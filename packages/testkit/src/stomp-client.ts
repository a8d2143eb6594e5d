import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import WebSocket from 'ws';
import { randomUUID } from 'node:crypto';

export interface TestStompClient {
  client: Client;
  /** Every MESSAGE body received, per destination, parsed. */
  received: Map<string, unknown[]>;
  errors: IFrame[];
  subscribe(destination: string): Promise<void>;
  /** SEND with a receipt; resolves on RECEIPT, rejects on ERROR. */
  send(destination: string, body: unknown): Promise<void>;
  sendMessage(roomCode: string, content: string, messageId?: string): Promise<string>;
  close(): Promise<void>;
}

/** A STOMP client on @stomp/stompjs over raw WebSocket (`/stomp`), with receipts turned into promises. */
export function connectStomp(baseUrl: string, token: string, options: { reconnectDelay?: number; onConnect?: (c: TestStompClient) => void } = {}): Promise<TestStompClient> {
  const wsUrl = baseUrl.replace(/^http/, 'ws') + '/stomp';
  const received = new Map<string, unknown[]>();
  const errors: IFrame[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  let connectedOnce = false;
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: () => new WebSocket(wsUrl, ['v12.stomp']),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: options.reconnectDelay ?? 0,
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
      onConnect: () => {
        if (!connectedOnce) {
          connectedOnce = true;
          resolve(api);
        }
        options.onConnect?.(api);
      },
      onStompError: (frame) => {
        errors.push(frame);
        const rid = frame.headers['receipt-id'];
        const waiter = rid ? pending.get(rid) : undefined;
        if (waiter) {
          pending.delete(rid!);
          waiter.reject(new Error(frame.headers.message));
        }
        if (!connectedOnce) reject(new Error(frame.headers.message));
      },
    });
    const record = (destination: string) => (m: IMessage) => {
      const list = received.get(destination) ?? [];
      list.push(JSON.parse(m.body));
      received.set(destination, list);
    };
    const api: TestStompClient = {
      client,
      received,
      errors,
      subscribe(destination) {
        const receipt = randomUUID();
        return new Promise<void>((res, rej) => {
          pending.set(receipt, { resolve: res, reject: rej });
          client.watchForReceipt(receipt, () => {
            pending.delete(receipt);
            res();
          });
          client.subscribe(destination, record(destination), { receipt });
        });
      },
      send(destination, body) {
        const receipt = randomUUID();
        return new Promise<void>((res, rej) => {
          pending.set(receipt, { resolve: res, reject: rej });
          client.watchForReceipt(receipt, () => {
            pending.delete(receipt);
            res();
          });
          client.publish({ destination, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { receipt } });
        });
      },
      async sendMessage(roomCode, content, messageId = randomUUID()) {
        await api.send(`/app/chat/rooms/${roomCode}/messages`, { messageId, content, messageType: 'TEXT' });
        return messageId;
      },
      async close() {
        await client.deactivate();
      },
    };
    client.activate();
  });
}
