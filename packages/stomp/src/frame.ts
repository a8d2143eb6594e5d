/** A STOMP frame. Header names and values are decoded (unescaped); repeated headers keep the first value. */
export interface StompFrame {
  command: string;
  headers: Record<string, string>;
  body: Buffer;
}

export type StompVersion = '1.0' | '1.1' | '1.2';

export const CLIENT_COMMANDS = new Set([
  'CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'ACK', 'NACK', 'DISCONNECT',
]);

/** A frame the peer sent that cannot be accepted; the session answers with ERROR and closes. */
export class StompProtocolError extends Error {
  override name = 'StompProtocolError';
  readonly receiptId: string | undefined;
  constructor(message: string, receiptId?: string) {
    super(message);
    this.receiptId = receiptId;
  }
}
