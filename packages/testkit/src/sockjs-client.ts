import { Client, type IMessage } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import { randomUUID } from 'node:crypto';

export interface SockJsStompClient {
  received: Map<string, unknown[]>;
  subscribe(destination: string): Promise<void>;
  send(destination: string, body: unknown): Promise<void>;
  close(): Promise<void>;
}

/**
 * The original frontend's stack: @stomp/stompjs over sockjs-client at `/ws`, optionally pinned to one SockJS
 * transport ('websocket', 'xhr-streaming', 'xhr-polling') to prove each works.
 */
export function connectSockJs(baseUrl: string, token: string, transport?: string): Promise<SockJsStompClient> {
  const received = new Map<string, unknown[]>();
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: () => new SockJS(`${baseUrl}/ws`, undefined, transport ? { transports: [transport] } : undefined),
      connectHeaders: { Authorization: `Bearer ${token}` },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      onConnect: () => resolve(api),
      onStompError: (f) => reject(new Error(f.headers.message)),
      onWebSocketError: () => reject(new Error('SockJS connection failed')),
    });
    const withReceipt = (publish: (receipt: string) => void) =>
      new Promise<void>((res, rej) => {
        const receipt = randomUUID();
        const timer = setTimeout(() => rej(new Error('no receipt')), 10_000);
        client.watchForReceipt(receipt, () => {
          clearTimeout(timer);
          res();
        });
        publish(receipt);
      });
    const api: SockJsStompClient = {
      received,
      subscribe: (destination) =>
        withReceipt((receipt) =>
          client.subscribe(
            destination,
            (m: IMessage) => {
              const list = received.get(destination) ?? [];
              list.push(JSON.parse(m.body));
              received.set(destination, list);
            },
            { receipt },
          ),
        ),
      send: (destination, body) => withReceipt((receipt) => client.publish({ destination, body: JSON.stringify(body), headers: { receipt } })),
      close: () => client.deactivate(),
    };
    client.activate();
  });
}
