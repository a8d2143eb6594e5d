import WebSocket from 'ws';
import { encodeFrame, StompDecoder, type StompFrame } from '@sunsu/stomp';

/**
 * A lean STOMP 1.2 client for load generation (the project's own codec over `ws`): thousands of them fit in one
 * process without the timers and buffers of a full client library.
 */
export class BenchConnection {
  private readonly ws: WebSocket;
  private readonly decoder = new StompDecoder({ maxFrameBytes: 1024 * 1024 });
  private readonly receipts = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private receiptSeq = 0;
  onMessage: (frame: StompFrame) => void = () => undefined;
  error: string | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      for (const item of this.decoder.push(data)) {
        if (item.type !== 'frame') continue;
        const f = item.frame;
        if (f.command === 'MESSAGE') this.onMessage(f);
        else if (f.command === 'RECEIPT') {
          const id = f.headers['receipt-id']!;
          this.receipts.get(id)?.resolve();
          this.receipts.delete(id);
        } else if (f.command === 'ERROR') {
          this.error = f.headers.message;
          for (const r of this.receipts.values()) r.reject(new Error(f.headers.message));
          this.receipts.clear();
        }
      }
    });
  }

  static open(wsUrl: string, token: string): Promise<BenchConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, ['v12.stomp'], { perMessageDeflate: false });
      const conn = new BenchConnection(ws);
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(encodeFrame({ command: 'CONNECT', headers: { 'accept-version': '1.2', host: 'bench', Authorization: `Bearer ${token}`, 'heart-beat': '0,0' } }));
      });
      const onFirst = (data: Buffer) => {
        if (data.toString().startsWith('CONNECTED')) resolve(conn);
        else reject(new Error(data.toString().split('\n').find((l) => l.startsWith('message:')) ?? 'connect failed'));
      };
      ws.once('message', onFirst);
    });
  }

  private withReceipt(frame: { command: string; headers: Record<string, string>; body?: string }): Promise<void> {
    const receipt = String(++this.receiptSeq);
    return new Promise<void>((resolve, reject) => {
      this.receipts.set(receipt, { resolve, reject });
      this.ws.send(encodeFrame({ ...frame, headers: { ...frame.headers, receipt } }));
    });
  }

  subscribe(destination: string, id = '0'): Promise<void> {
    return this.withReceipt({ command: 'SUBSCRIBE', headers: { id, destination, ack: 'auto' } });
  }

  send(destination: string, body: string): Promise<void> {
    return this.withReceipt({ command: 'SEND', headers: { destination, 'content-type': 'application/json' }, body });
  }

  close(): void {
    this.ws.close();
  }
}
