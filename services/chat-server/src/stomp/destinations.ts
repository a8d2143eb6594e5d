/**
 * STOMP destinations of the public contract (api-contract.md), parsed in one place. Room codes are checked for
 * shape here; membership is checked by the session's handlers.
 */
const ROOM = '([0-9A-Fa-f-]{8,64})';
const USER = '([1-9][0-9]{0,18})';

export type SendTarget =
  | { kind: 'message'; roomCode: string }
  | { kind: 'presence'; roomCode: string }
  | { kind: 'presence-ping'; roomCode: string }
  | { kind: 'read'; roomCode: string }
  | { kind: 'typing'; roomCode: string };

export type SubscribeTarget =
  | { kind: 'messages'; roomCode: string }
  | { kind: 'reads'; roomCode: string }
  | { kind: 'typing'; roomCode: string }
  | { kind: 'presence'; roomCode: string; userId: string };

const SEND_PATTERNS: [RegExp, SendTarget['kind']][] = [
  [new RegExp(`^/app/chat/rooms/${ROOM}/messages$`), 'message'],
  [new RegExp(`^/app/chat/rooms/${ROOM}/read$`), 'read'],
  [new RegExp(`^/app/chat/rooms/${ROOM}/typing$`), 'typing'],
  [new RegExp(`^/app/presence/ping/${ROOM}$`), 'presence-ping'],
  [new RegExp(`^/app/presence/${ROOM}$`), 'presence'],
];

export function parseSendDestination(destination: string): SendTarget | undefined {
  for (const [re, kind] of SEND_PATTERNS) {
    const m = re.exec(destination);
    if (m) return { kind, roomCode: m[1]! } as SendTarget;
  }
  return undefined;
}

export function parseSubscribeDestination(destination: string): SubscribeTarget | undefined {
  let m = new RegExp(`^/topic/chat/rooms/${ROOM}$`).exec(destination);
  if (m) return { kind: 'messages', roomCode: m[1]! };
  m = new RegExp(`^/topic/chat/rooms/${ROOM}/read$`).exec(destination);
  if (m) return { kind: 'reads', roomCode: m[1]! };
  m = new RegExp(`^/topic/chat/rooms/${ROOM}/typing$`).exec(destination);
  if (m) return { kind: 'typing', roomCode: m[1]! };
  m = new RegExp(`^/topic/presence/${ROOM}/${USER}$`).exec(destination);
  if (m) return { kind: 'presence', roomCode: m[1]!, userId: m[2]! };
  return undefined;
}
