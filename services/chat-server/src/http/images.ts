import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import { RoomCode } from '@sunsu/contracts';
import type { ObjectStorage } from '../adapters/storage/object-storage.ts';
import { ChatError, errors } from '../domain/errors.ts';
import type { Membership } from '../domain/ports.ts';
import { sendMessage, type SendMessageDeps } from '../domain/send-message.ts';
import { IMAGE_TYPES, sniffImageType } from '../domain/sniff-image.ts';
import { principalOf } from './rest.ts';

export interface ImageDeps {
  rooms: Membership;
  storage: ObjectStorage;
  sendDeps: SendMessageDeps;
  /** Largest accepted image in bytes (config `CHAT_UPLOAD_MAX_BYTES`). */
  maxBytes: number;
}

/** The `message` part is small JSON (content is limited to 1000 characters); anything bigger is refused. */
const MESSAGE_MAX_BYTES = 16 * 1024;
/** Room for the `message` part and multipart framing on top of the image, for the Content-Length pre-check. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** Names the upload route creates: a random UUID and the extension of the sniffed type. */
const FILE_NAME = new RegExp(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.(${IMAGE_TYPES.map((t) => t.ext).join('|')})$`);

const notFound = (message: string) => new ChatError('NOT_FOUND', 404, message);

interface Upload {
  message?: unknown;
  image?: Buffer;
  /** First problem met while reading; reported only once the whole body was read, so the connection stays usable. */
  problem?: ChatError;
}

/**
 * Image messages (api-contract.md "REST"): `POST /api/chat/messages/{code}/image` stores the file and sends an
 * IMAGE message through the same path as every other send; `GET /api/chat/files/{code}/{name}` serves it to
 * participants. Authentication is the /api/ preHandler of rest.ts (`principalOf`); the file route also accepts
 * `?access_token=` because `<img>` tags cannot send headers.
 */
export function registerImageRoutes(app: FastifyInstance, deps: ImageDeps): void {
  // Own encapsulated scope: the multipart parser and its limits apply to these routes only, the JSON body limit
  // of every other route stays as it is.
  void app.register(async (scope) => {
    await scope.register(fastifyMultipart, { limits: uploadLimits(deps.maxBytes) });

    scope.post<{ Params: { code: string } }>('/api/chat/messages/:code/image', async (req) => {
      const me = principalOf(req);
      const roomCode = parseRoomCode(req.params.code);
      await requireMember(deps.rooms, roomCode, me.userId);
      if (!req.isMultipart()) throw errors.unsupportedMedia('expected a multipart/form-data body with the parts "message" and "image"');
      const declared = Number(req.headers['content-length']);
      if (declared > deps.maxBytes + MULTIPART_OVERHEAD_BYTES) throw errors.tooLarge(`the image is limited to ${deps.maxBytes} bytes`);

      let upload: Upload;
      try {
        upload = await readUpload(req, deps.maxBytes);
      } catch (err) {
        drainBody(req);
        throw asClientError(err, deps.maxBytes);
      }
      if (upload.problem) throw upload.problem;
      if (upload.message === undefined) throw errors.badRequest('missing part "message" (JSON: {messageId, content?, messageType: "IMAGE"})');
      if (!upload.image) throw errors.badRequest('missing part "image" (the image file)');
      const message = upload.message;
      if (typeof message !== 'object' || message === null || Array.isArray(message)) throw errors.badRequest('part "message" must be a JSON object');

      // Decided by the bytes only: the client's file name and content type are never looked at.
      const type = sniffImageType(upload.image);
      if (!type) throw errors.unsupportedMedia('the image must be a PNG, JPEG, GIF or WebP file');

      const content = (message as { content?: unknown }).content;
      const body = { ...message, messageType: 'IMAGE', content: content === undefined || content === null || content === '' ? 'image' : content };
      const name = `${randomUUID()}.${type.ext}`;
      const key = `rooms/${roomCode}/${name}`;
      const fileUrl = `/api/chat/files/${roomCode}/${name}`;
      await deps.storage.put(key, upload.image, type.contentType);
      try {
        const { messageId, sequenceId } = await sendMessage(deps.sendDeps, me, { roomCode, body, fileUrl });
        return { code: 200, message: 'success', data: { messageId, sequenceId, fileUrl } };
      } catch (err) {
        // Refused before publishing (invalid body, membership): nobody references the file, remove it. A failed
        // publish (5xx) may still have reached Kafka, so that file is kept: an orphan is harmless, a message
        // pointing at a deleted image is not.
        if (err instanceof ChatError && err.status < 500) {
          await deps.storage.delete(key).catch((e: unknown) => req.log.warn({ err: e, key }, 'could not delete the file of a refused image message'));
        }
        throw err;
      }
    });

    scope.get<{ Params: { code: string; name: string } }>('/api/chat/files/:code/:name', { config: { allowQueryToken: true } }, async (req, reply) => {
      const me = principalOf(req);
      const roomCode = parseRoomCode(req.params.code);
      await requireMember(deps.rooms, roomCode, me.userId);
      if (!FILE_NAME.test(req.params.name)) throw errors.badRequest('invalid file name');
      const object = await deps.storage.get(`rooms/${roomCode}/${req.params.name}`);
      if (!object) throw notFound(`no file ${req.params.name} in room ${roomCode}`);
      // Only ever serve an image type (never something a browser would render as a document).
      const contentType = IMAGE_TYPES.find((t) => t.contentType === object.contentType)?.contentType ?? 'application/octet-stream';
      return reply
        .header('content-type', contentType)
        .header('content-length', object.size)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', 'inline')
        .header('cache-control', 'private, max-age=86400')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(object.body);
    });
  });
}

function uploadLimits(maxBytes: number) {
  // `message` may come as a text field or as a JSON file part (a Blob, as browsers' FormData sends it).
  return { fileSize: maxBytes, files: 2, fields: 4, parts: 6, fieldSize: MESSAGE_MAX_BYTES, headerPairs: 20 };
}

function parseRoomCode(code: string): string {
  const parsed = RoomCode.safeParse(code);
  if (!parsed.success) throw errors.badRequest('roomCode must be a UUID');
  return parsed.data;
}

async function requireMember(rooms: Membership, roomCode: string, userId: string): Promise<void> {
  const participants = await rooms.participants(roomCode);
  if (!participants) throw errors.roomNotFound(roomCode);
  if (!participants.includes(userId)) throw errors.forbidden();
}

/** Reads every part to the end (keeping `message` and `image`, discarding the rest). */
async function readUpload(req: FastifyRequest, maxBytes: number): Promise<Upload> {
  const upload: Upload = {};
  const fail = (problem: ChatError) => {
    upload.problem ??= problem;
  };
  for await (const part of req.parts()) {
    if (part.type === 'field') {
      if (part.fieldname !== 'message') continue;
      if (upload.message !== undefined) fail(errors.badRequest('more than one part "message"'));
      else if (part.valueTruncated) fail(errors.tooLarge(`part "message" is limited to ${MESSAGE_MAX_BYTES} bytes`));
      // A field sent with Content-Type application/json arrives already parsed by the plugin.
      else if (part.mimetype === 'application/json') upload.message = part.value;
      else upload.message = parseJson(String(part.value), fail);
      continue;
    }
    if (part.fieldname === 'image') {
      const { bytes } = await readStream(part.file, maxBytes);
      if (part.file.truncated) fail(errors.tooLarge(`the image is limited to ${maxBytes} bytes`));
      else if (upload.image) fail(errors.badRequest('more than one part "image"'));
      else upload.image = bytes;
    } else if (part.fieldname === 'message') {
      const { bytes, overflow } = await readStream(part.file, MESSAGE_MAX_BYTES);
      if (overflow || part.file.truncated) fail(errors.tooLarge(`part "message" is limited to ${MESSAGE_MAX_BYTES} bytes`));
      else if (upload.message !== undefined) fail(errors.badRequest('more than one part "message"'));
      else upload.message = parseJson(bytes.toString('utf8'), fail);
    } else {
      await readStream(part.file, 0);
    }
  }
  return upload;
}

function parseJson(text: string, fail: (problem: ChatError) => void): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    fail(errors.badRequest('part "message" is not valid JSON'));
    return null;
  }
}

/** The stream's bytes up to `cap`; the rest is read and dropped so the parser can move on to the next part. */
async function readStream(stream: Readable, cap: number): Promise<{ bytes: Buffer; overflow: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > cap) overflow = true;
    else chunks.push(buf);
  }
  return { bytes: Buffer.concat(chunks), overflow };
}

/** Parser failures (limits, malformed multipart, invalid JSON field) are the client's: 400 or 413. */
function asClientError(err: unknown, maxBytes: number): ChatError {
  if (err instanceof ChatError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_REQ_FILE_TOO_LARGE') return errors.tooLarge(`the image is limited to ${maxBytes} bytes`);
  if (e.statusCode === 413) return errors.tooLarge(`too many parts: send one "message" and one "image" (${e.message ?? ''})`);
  if (e.code === 'FST_INVALID_JSON_FIELD_ERROR') return errors.badRequest('part "message" is not valid JSON');
  return errors.badRequest(`malformed multipart body: ${e.message ?? 'unknown error'}`);
}

/**
 * After a parser failure the rest of the body is read and dropped, so the client (still sending) gets the answer
 * instead of a broken pipe and the keep-alive connection stays usable. Node does the same by itself for the
 * answers sent before the body was touched (401/403/404/413 by Content-Length). Time is bounded by the server's
 * requestTimeout; cap request sizes at the proxy in front.
 */
function drainBody(req: FastifyRequest): void {
  if (!req.raw.readableEnded) req.raw.resume();
}
