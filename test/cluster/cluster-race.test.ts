// The race Sails documents as "volatile" and socket.io leaves open (socketsJoin returns void): a room
// change on node A for a socket held by node B, then an immediate broadcast. Ours resolve only once B
// applied it, so nothing is missed; the bare socket.io call shows what happens otherwise.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket as ClientSocket } from 'socket.io-client'
import { connect, nextEvent } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { buildNode, converged } from '../helpers/cluster.js'

const ROUNDS = 200

interface Misses { fromA: number, fromB: number }

// Runs ROUNDS rounds of `change(room)` on A then a broadcast to `room`, alternately from B (even rounds)
// and A (odd rounds); returns how many of those broadcasts the socket on B never received.
async function race (a: FastifyInstance, b: FastifyInstance, client: ClientSocket, label: string,
  change: (room: string) => Promise<void> | void): Promise<Misses> {
  const received = new Set<number>()
  const onRace = (n: number): void => { received.add(n) }
  client.on('race', onRace)
  for (let i = 0; i < ROUNDS; i++) {
    const room = `${label}:${i}`
    await change(room)
    const from = i % 2 === 0 ? b : a
    from.sockets.broadcast(room, 'race', i)
  }
  // Per-sender order holds: once a marker from each node arrived, every earlier broadcast has too.
  const markers = [nextEvent(client, `done-a-${label}`, 10_000), nextEvent(client, `done-b-${label}`, 10_000)]
  a.sockets.emit(client.id as string, `done-a-${label}`, 1)
  b.sockets.emit(client.id as string, `done-b-${label}`, 1)
  await Promise.all(markers)
  client.off('race', onRace)
  const misses = { fromA: 0, fromB: 0 }
  for (let i = 0; i < ROUNDS; i++) {
    if (!received.has(i)) { if (i % 2 === 0) misses.fromB++; else misses.fromA++ }
  }
  return misses
}

for (const mode of ['pub/sub', 'sharded'] as const) {
  t.test(`${mode}: ${ROUNDS} remote room changes, each followed at once by a broadcast`, { skip: redisSkipReason() }, async (t) => {
    const redis = await RedisServer.start(t)
    const sharded = mode === 'sharded'
    const a = await buildNode(t, redis, { nodeId: 'race-a', sharded })
    const b = await buildNode(t, redis, { nodeId: 'race-b', sharded })
    await converged([a, b])
    const client = await connect(t, b)
    const id = client.id as string

    const added = await race(a, b, client, 'add', (room) => a.sockets.addRoomMembersToRooms(id, room))
    t.same(added, { fromA: 0, fromB: 0 }, 'await addRoomMembersToRooms: zero misses')

    const joined = await race(a, b, client, 'join', (room) => a.sockets.join(id, room))
    t.same(joined, { fromA: 0, fromB: 0 }, 'await join(remoteId): zero misses')

    // Teams: every member of a room moved by a node that holds none of them.
    const teammate = await connect(t, b)
    await b.sockets.join([id, teammate.id as string], 'team')
    const team = await race(a, b, client, 'team', (room) => a.sockets.addRoomMembersToRooms('team', room))
    t.same(team, { fromA: 0, fromB: 0 }, 'await addRoomMembersToRooms(room): zero misses')

    // The holder itself joins (no cluster traffic); with the sharded adapter that still subscribes B to the room's channel.
    const local = await race(a, b, client, 'local', (room) => b.sockets.join(id, room))
    t.same(local, { fromA: 0, fromB: 0 }, 'await join() on the holding node: zero misses')

    const bare = await race(a, b, client, 'bare', (room) => { a.sockets.io.in(id).socketsJoin(room) })
    t.comment(`${mode}: bare io.in(id).socketsJoin(): ${bare.fromB + bare.fromA} of ${ROUNDS} broadcasts missed ` +
      `(${bare.fromB} of ${ROUNDS / 2} sent from B, ${bare.fromA} of ${ROUNDS / 2} sent from A)`)
    t.ok(bare.fromB + bare.fromA > 0, 'the race exists with the bare socket.io call')
    const bareLocal = await race(a, b, client, 'bare-local', (room) => { b.sockets.io.in(id).socketsJoin(room) })
    t.comment(`${mode}: bare io.in(id).socketsJoin() on the holding node: ${bareLocal.fromB + bareLocal.fromA} of ${ROUNDS} missed ` +
      `(${bareLocal.fromB} sent from B, ${bareLocal.fromA} sent from A)`)
  })
}
