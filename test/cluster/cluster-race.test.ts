// The race Sails documents as "volatile" and socket.io leaves open (socketsJoin returns void): a room
// change on node A for a socket held by node B, then an immediate broadcast. Ours resolve only once B
// applied it, so nothing is missed; the bare socket.io call shows what happens otherwise.
import t from 'tap'
import { connect } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { buildNode, converged, race } from '../helpers/cluster.js'

const ROUNDS = 200

for (const mode of ['pubsub', 'sharded', 'streams'] as const) {
  t.test(`${mode}: ${ROUNDS} remote room changes, each followed at once by a broadcast`, { skip: redisSkipReason() }, async (t) => {
    const redis = await RedisServer.start(t)
    const a = await buildNode(t, redis, { nodeId: 'race-a', adapter: mode })
    const b = await buildNode(t, redis, { nodeId: 'race-b', adapter: mode })
    await converged([a, b])
    const client = await connect(t, b)
    const id = client.id as string

    const added = await race(ROUNDS, a, b, client, 'add', (room) => a.sockets.addRoomMembersToRooms(id, room))
    t.same(added, { fromA: 0, fromB: 0 }, 'await addRoomMembersToRooms: zero misses')

    const joined = await race(ROUNDS, a, b, client, 'join', (room) => a.sockets.join(id, room))
    t.same(joined, { fromA: 0, fromB: 0 }, 'await join(remoteId): zero misses')

    // Teams: every member of a room moved by a node that holds none of them.
    const teammate = await connect(t, b)
    await b.sockets.join([id, teammate.id as string], 'team')
    const team = await race(ROUNDS, a, b, client, 'team', (room) => a.sockets.addRoomMembersToRooms('team', room))
    t.same(team, { fromA: 0, fromB: 0 }, 'await addRoomMembersToRooms(room): zero misses')

    // The holder itself joins (no cluster traffic); with the sharded adapter that still subscribes B to the room's channel.
    const local = await race(ROUNDS, a, b, client, 'local', (room) => b.sockets.join(id, room))
    t.same(local, { fromA: 0, fromB: 0 }, 'await join() on the holding node: zero misses')

    const bare = await race(ROUNDS, a, b, client, 'bare', (room) => { a.sockets.io.in(id).socketsJoin(room) })
    t.comment(`${mode}: bare io.in(id).socketsJoin(): ${bare.fromB + bare.fromA} of ${ROUNDS} broadcasts missed ` +
      `(${bare.fromB} of ${ROUNDS / 2} sent from B, ${bare.fromA} of ${ROUNDS / 2} sent from A)`)
    t.ok(bare.fromB + bare.fromA > 0, 'the race exists with the bare socket.io call')
    const bareLocal = await race(ROUNDS, a, b, client, 'bare-local', (room) => { b.sockets.io.in(id).socketsJoin(room) })
    t.comment(`${mode}: bare io.in(id).socketsJoin() on the holding node: ${bareLocal.fromB + bareLocal.fromA} of ${ROUNDS} missed ` +
      `(${bareLocal.fromB} sent from B, ${bareLocal.fromA} sent from A)`)
  })
}
