/** Wire shapes of the public contract (shared/spec/api-contract.md), as the browser sees them. */
export interface ChatMessage {
  messageId: string;
  senderId: string;
  senderName: string;
  content: string;
  messageType: 'TEXT' | 'IMAGE';
  createdAt: string;
  sequenceId: number;
  readBy: string[];
  fileUrl: string | null;
}

export interface Participant {
  userId: string;
  name: string;
  avatarUrl: string | null;
}

export interface ChatRoomSummary {
  chatRoomCode: string;
  participants: Participant[];
  chatPartnerId: string | null;
  chatPartnerName: string | null;
  avatarUrl: string | null;
  lastMessage: string | null;
  lastMessageType: 'TEXT' | 'IMAGE' | null;
  lastMessageAt: string | null;
  lastSequenceId: number;
  unreadCount: number;
}

export interface Page<T> {
  data: T[];
  hasNext: boolean;
  nextCursor: string | number | null;
}

export interface ReadEvent {
  userId: string;
  lastReadSequenceId: number;
}

export interface TypingEvent {
  userId: string;
  typing: boolean;
}

export interface PresenceEvent {
  userId: string;
  status: 'online' | 'offline';
}

export interface Identity {
  token: string;
  userId: string;
  name: string;
  role: string;
}
