// A socket's own id room is its address: leave, leaveAll and removeRoomMembersFromRooms never take a socket
// out of it, on its node or from another node, so emit(id), members(id), addRoomMembersToRooms(id, ...) and a
// remote disconnect(id) keep reaching it.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket as ClientSocket } from 'socket.io-client'
import { buildApp, connect, nextEvent, request, waitFor } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { buildNode, converged } from '../helpers/cluster.js'

function routes (app: FastifyInstance): void {
  // the attack a client can make: ask the app to leave rooms whose names it chooses, its own id among them
  app.post<{ Body: { rooms: string[] } }>('/leave', async (request) => {
    await app.sockets.leave(request, request.body.rooms)
    return { rooms: await app.sockets.rooms(request) }
  })
  app.get('/me', async (request) => ({ id: app.sockets.getId(request) }))
}

async function idOf (socket: ClientSocket): Promise<string> {
  return ((await request(socket, 'get', '/me')).body as { id: string }).id
}

/** Every way to reach a socket by its id still reaches it (run from `from`, the socket being on `home`). */
async function stillAddressable (t: Test, from: FastifyInstance, home: FastifyInstance, socket: ClientSocket, id: string, label: string): Promise<void> {
  t.ok(home.sockets.io.of('/').sockets.get(id)?.rooms.has(id), `${label}: the socket is still in its id room`)
  t.same(await from.sockets.members(id), [id], `${label}: members(id) finds it`)
  const heard = nextEvent(socket, 'ping-id')
  from.sockets.emit(id, 'ping-id', { label })
  t.same(await heard, { label }, `${label}: emit(id) reaches it`)
  await from.sockets.addRoomMembersToRooms(id, `after:${label}`)
  t.ok(home.sockets.io.of('/').sockets.get(id)?.rooms.has(`after:${label}`), `${label}: addRoomMembersToRooms(id) joins it`)
}

t.test('one node: leave, leaveAll and removeRoomMembersFromRooms keep the own id room', async (t) => {
  const app = await buildApp(t, {}, routes)
  const socket = await connect(t, app)
  const id = await idOf(socket)
  await app.sockets.join(id, ['team:1', 'game:1'])

  const jwr = await request(socket, 'post', '/leave', { rooms: [id, 'game:1'] })
  t.equal(jwr.statusCode, 200, 'a leave naming the own id room is not an error')
  t.same(jwr.body, { rooms: ['team:1'] }, 'the other named room is left')
  await stillAddressable(t, app, app, socket, id, 'leave(request, own id)')

  await app.sockets.leave(id, id)
  await stillAddressable(t, app, app, socket, id, 'leave(id, id)')

  await app.sockets.removeRoomMembersFromRooms('team:1', [id, 'team:1'])
  t.notOk(app.sockets.io.of('/').sockets.get(id)?.rooms.has('team:1'), 'removeRoomMembersFromRooms left team:1')
  await stillAddressable(t, app, app, socket, id, 'removeRoomMembersFromRooms(room, [id])')

  await app.sockets.removeRoomMembersFromRooms(id, id)
  await stillAddressable(t, app, app, socket, id, 'removeRoomMembersFromRooms(id, id)')

  await app.sockets.leaveAll(id)
  t.same(await app.sockets.rooms(id), [], 'leaveAll left every other room')
  await stillAddressable(t, app, app, socket, id, 'leaveAll(id)')

  const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve))
  await app.sockets.disconnect(id)
  t.equal(await gone, 'io server disconnect', 'disconnect(id) still reaches it')
})

t.test('two nodes: a leave of the own id room from the other node keeps it', { skip: redisSkipReason() }, async (t) => {
  const redis = await RedisServer.start(t)
  const a = await buildNode(t, redis, { nodeId: 'own-a', heartbeatTimeout: 60_000 }, routes)
  const b = await buildNode(t, redis, { nodeId: 'own-b', heartbeatTimeout: 60_000 }, routes)
  await converged([a, b])
  const socket = await connect(t, a)
  const id = await idOf(socket)
  await b.sockets.join(id, ['team:2', 'game:2'])

  await b.sockets.leave(id, [id, 'game:2'])
  t.same(await b.sockets.rooms(id), ['team:2'], 'the remote leave left game:2 only')
  await stillAddressable(t, b, a, socket, id, 'remote leave(id, id)')

  await b.sockets.removeRoomMembersFromRooms('team:2', [id, 'team:2'])
  t.same((await b.sockets.rooms(id)).filter((room) => room.startsWith('team')), [], 'remote removeRoomMembersFromRooms left team:2')
  await stillAddressable(t, b, a, socket, id, 'remote removeRoomMembersFromRooms(room, [id])')

  await b.sockets.leaveAll(id)
  t.same(await b.sockets.rooms(id), [], 'remote leaveAll left every other room')
  await stillAddressable(t, b, a, socket, id, 'remote leaveAll(id)')

  const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve))
  await b.sockets.disconnect(id)
  t.equal(await gone, 'io server disconnect', 'a remote disconnect(id) still reaches it')
  await waitFor(() => a.sockets.io.of('/').sockets.size === 0, 'the socket to be gone from node a')
})
