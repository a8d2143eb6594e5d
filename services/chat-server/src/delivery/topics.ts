/**
 * Where a push of each kind is published (the STOMP destinations of api-contract.md), so transports and the hub
 * agree on the names. Socket.IO uses them as internal subscription keys.
 */
export const topicFor = {
  messages: (roomCode: string) => `/topic/chat/rooms/${roomCode}`,
  reads: (roomCode: string) => `/topic/chat/rooms/${roomCode}/read`,
  typing: (roomCode: string) => `/topic/chat/rooms/${roomCode}/typing`,
  presence: (roomCode: string, userId: string) => `/topic/presence/${roomCode}/${userId}`,
};
