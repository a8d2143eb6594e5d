import { connectArchive, insertBatch, type ArchiveHandle, type ArchivedMessage } from '@sunsu/archive';
import { infra, uniqueName } from '@sunsu/testkit';

const message = (room: string, seq: number, id = `${room}-m${seq}`): ArchivedMessage => ({
  _id: id,
  chatRoomCode: room,
  senderId: '1',
  senderName: 'Couple',
  content: `hello ${seq}`,
  messageType: 'TEXT',
  sequenceId: seq,
  fileUrl: null,
  createdAt: new Date(),
});

describe('MongoDB wire protocol via mongoose (FerretDB locally)', () => {
  let archive: ArchiveHandle;
  const dbName = uniqueName('it_archive').replace(/-/g, '_');

  beforeAll(async () => {
    const url = new URL(infra().CHAT_MONGO_URL);
    url.pathname = `/${dbName}`;
    archive = await connectArchive(url.toString());
  });
  afterAll(async () => {
    await archive.connection.dropDatabase();
    await archive.close();
  });

  it('inserts a batch with ordered:false; a redelivered batch is reported as already stored, the stored copy wins', async () => {
    const room = 'aaaaaaaa-0000-4000-8000-000000000001';
    const batch = Array.from({ length: 20 }, (_, i) => message(room, i + 1));
    const first = await insertBatch(archive.messages, batch);
    expect(first.insertedCount).toBe(20);
    expect(first.alreadyStored).toEqual([]);

    // Redelivery of half the batch plus 5 new ones; the redelivered copies carry different content.
    const redelivered = batch.slice(10).map((m) => ({ ...m, content: 'changed on redelivery' }));
    const fresh = Array.from({ length: 5 }, (_, i) => message(room, 21 + i));
    const second = await insertBatch(archive.messages, [...redelivered, ...fresh]);
    expect(second.insertedCount).toBe(5);
    expect(second.alreadyStored.sort()).toEqual(batch.slice(10).map((m) => m._id).sort());
    expect(second.sequenceConflicts).toEqual([]);
    expect(second.stored.slice(0, 10).map((m) => m.content)).toEqual(batch.slice(10).map((m) => m.content));
    expect(await archive.messages.countDocuments({ chatRoomCode: room })).toBe(25);
  });

  it('rejects a different message with an existing (chatRoomCode, sequenceId) through the unique index', async () => {
    const room = 'aaaaaaaa-0000-4000-8000-000000000002';
    await insertBatch(archive.messages, [message(room, 1)]);
    const clash = message(room, 1, 'another-message-id');
    const result = await insertBatch(archive.messages, [clash, message(room, 2)]);
    expect(result.sequenceConflicts.map((m) => m._id)).toEqual(['another-message-id']);
    expect(result.insertedCount).toBe(1);
    expect(await archive.messages.countDocuments({ chatRoomCode: room })).toBe(2);
    await expect(archive.messages.collection.insertOne(clash as never)).rejects.toMatchObject({ code: 11000 });
  });

  it('reads a room range by sequence cursor', async () => {
    const room = 'aaaaaaaa-0000-4000-8000-000000000003';
    await insertBatch(archive.messages, Array.from({ length: 30 }, (_, i) => message(room, i + 1)));
    const page = await archive.messages.find({ chatRoomCode: room, sequenceId: { $lt: 21 } }).sort({ sequenceId: -1 }).limit(5).lean();
    expect(page.map((m) => m.sequenceId)).toEqual([20, 19, 18, 17, 16]);
  });
});
