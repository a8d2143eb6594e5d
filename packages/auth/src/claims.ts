import { z } from 'zod';

export const Role = z.enum(['couple', 'planner', 'admin', 'service']);
export type Role = z.output<typeof Role>;

/** The JWT claims the platform relies on (api-contract.md "Identity"). */
export const ChatClaims = z.object({
  sub: z.string().regex(/^[1-9][0-9]{0,18}$/, 'sub must be a decimal int64 user id'),
  name: z.string().min(1).max(200),
  role: Role,
  avatarUrl: z.url().max(2048).optional(),
  exp: z.number().int(),
});

/** Who is calling: derived from a verified token only, never from payload fields. */
export interface Principal {
  userId: string;
  name: string;
  role: Role;
  avatarUrl: string | null;
}
