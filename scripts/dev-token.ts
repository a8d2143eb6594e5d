/**
 * Issue a development JWT signed with CHAT_JWT_SECRET (or the documented development secret), for curl, STOMP
 * clients and the web page. Refuses to run with CHAT_ENV=production: production tokens come from the identity
 * provider. Usage: node scripts/dev-token.ts <userId> [name] [couple|planner|admin|service] [ttlSeconds]
 */
import { Role, signToken } from '@sunsu/auth';

const DEV_SECRET = 'sunsu-development-secret-change-me-0123456789';
const [userId, name, role = 'couple', ttl = '86400'] = process.argv.slice(2);
if (process.env.CHAT_ENV === 'production') {
  console.error('dev-token: refused in production');
  process.exit(2);
}
if (!userId || !/^[1-9][0-9]{0,18}$/.test(userId) || !Role.safeParse(role).success || !/^\d+$/.test(ttl)) {
  console.error('usage: node scripts/dev-token.ts <userId (positive integer)> [name] [couple|planner|admin|service] [ttlSeconds]');
  process.exit(2);
}
console.log(await signToken(process.env.CHAT_JWT_SECRET ?? DEV_SECRET, { userId, name: name ?? `user ${userId}`, role: Role.parse(role) }, Number(ttl)));
