// The Membership contract: what fastify.sockets promises about rooms, whatever holds the membership (one
// process in memory, or every node of a Redis cluster). One suite, run against each backend by
// memory.test.ts and cluster.test.ts, through the public API only, with real socket.io clients.
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket as ClientSocket } from 'socket.io-client'
import { connect, request, nextEvent, collect, flush, type Teardown } from '../helpers/app.js'

/**
 * Builds the nodes of one app on a fresh backend, each listening, closed in `t`'s teardown; `setup` adds
 * routes to each before it listens. One node for a single process, several for a cluster.
 */
export type BackendFactory = (t: Teardown, setup: (app: FastifyInstance) => void) => Promise<FastifyInstance[]>

/** The nodes of one case, and three clients spread over them (client i on node i % nodes). */
interface World {
  nodes: FastifyInstance[]
  clients: ClientSocket[]
  ids: string[]
  /** The node holding client i. */
  home: (i: number) => FastifyInstance
  /** A node that does not hold client i, when there is one: the call crosses nodes. */
  away: (i: number) => FastifyInstance
  /** Everything each node sent before now has reached every client. */
  settle: () => Promise<void>
}

function routes (app: FastifyInstance): void {
  app.put<{ Params: { room: string } }>('/rooms/:room', async (request) => {
    await app.sockets.join(request, request.params.room)
    return { rooms: await app.sockets.rooms(request) }
  })
  app.delete<{ Params: { room: string } }>('/rooms/:room', async (request) => {
    await app.sockets.leave(request, request.params.room)
    return { rooms: await app.sockets.rooms(request) }
  })
  app.get('/rooms', async (request) => ({ rooms: await app.sockets.rooms(request) }))
}

async function world (t: Test, createNodes: BackendFactory): Promise<World> {
  const nodes = await createNodes(t, routes)
  const home = (i: number): FastifyInstance => nodes[i % nodes.length] as FastifyInstance
  const away = (i: number): FastifyInstance => nodes[(i + 1) % nodes.length] as FastifyInstance
  const clients: ClientSocket[] = []
  for (let i = 0; i < 3; i++) clients.push(await connect(t, home(i)))
  const ids = clients.map((client) => client.id as string)
  const settle = async (): Promise<void> => { for (const node of nodes) await flush(node, clients) }
  return { nodes, clients, ids, home, away, settle }
}

const sorted = (list: readonly string[]): string[] => [...list].sort()

/** Every node answers `members(room)` with `expected` (in any order). */
async function membersEverywhere (t: Test, w: World, room: string, expected: readonly string[], what: string): Promise<void> {
  for (const [n, node] of w.nodes.entries()) t.same(sorted(await node.sockets.members(room)), sorted(expected), `${what} (asked on node ${n})`)
}

/** Every node answers `rooms(id)` with `expected` (in any order). */
async function roomsEverywhere (t: Test, w: World, id: string, expected: readonly string[], what: string): Promise<void> {
  for (const [n, node] of w.nodes.entries()) t.same(sorted(await node.sockets.rooms(id)), sorted(expected), `${what} (asked on node ${n})`)
}

/** Broadcasts `event` to `room` from `from`, and says which clients heard it once every node's sends arrived. */
async function whoHears (w: World, from: FastifyInstance, room: string, event: string): Promise<boolean[]> {
  const heard = w.clients.map((client) => collect(client, event))
  from.sockets.broadcast(room, event as never, { room } as never)
  await w.settle()
  return heard.map((list) => list.length > 0)
}

/** Runs the contract against one backend. */
export function membershipContract (t: Test, createNodes: BackendFactory): void {
  t.test('join: by socket id (held anywhere), by an array of ids, by a socket request', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    await w.away(2).sockets.join(id2, 'c:join')
    await membersEverywhere(t, w, 'c:join', [id2], 'the joined socket is a member')
    await roomsEverywhere(t, w, id2, ['c:join'], 'and the room is among its rooms')
    t.same(await whoHears(w, w.away(2), 'c:join', 'to-join'), [false, false, true], 'a broadcast to the room reaches it alone')

    await w.nodes[0]?.sockets.join([id0, id1, id2], ['c:j1', 'c:j2'])
    await membersEverywhere(t, w, 'c:j1', [id0, id1, id2], 'an array of targets joins every one')
    await membersEverywhere(t, w, 'c:j2', [id0, id1, id2], 'into every room given')
    await roomsEverywhere(t, w, id1, ['c:j1', 'c:j2'], 'each has every room')

    const jwr = await request(w.clients[1] as ClientSocket, 'put', '/rooms/c:self')
    t.same(jwr.body, { rooms: ['c:j1', 'c:j2', 'c:self'] }, 'a socket request joins its own socket')
    await membersEverywhere(t, w, 'c:self', [id1], 'and every node sees it')

    await w.nodes[0]?.sockets.join(id2, 'c:join')
    await membersEverywhere(t, w, 'c:join', [id2], 'joining a room again changes nothing')
  })

  t.test('leave: by socket id, by an array, by a socket request; other rooms and sockets keep theirs', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    await w.nodes[0]?.sockets.join([id0, id1, id2], ['c:l1', 'c:l2', 'c:l3'])
    await w.away(2).sockets.leave(id2, 'c:l1')
    await roomsEverywhere(t, w, id2, ['c:l2', 'c:l3'], 'the socket left that room only')
    await membersEverywhere(t, w, 'c:l1', [id0, id1], 'the others stay in it')
    t.same(await whoHears(w, w.away(2), 'c:l1', 'after-leave'), [true, true, false], 'a broadcast to the room no longer reaches it')

    await w.away(0).sockets.leave([id0, id1], ['c:l1', 'c:l2'])
    await membersEverywhere(t, w, 'c:l1', [], 'an array of targets leaves every room given')
    await membersEverywhere(t, w, 'c:l2', [id2], 'of each room, only the targets left')

    const jwr = await request(w.clients[0] as ClientSocket, 'delete', '/rooms/c:l3')
    t.same(jwr.body, { rooms: [] }, 'a socket request leaves for its own socket')
    await membersEverywhere(t, w, 'c:l3', [id1, id2], 'and every node sees it')
    await w.nodes[0]?.sockets.leave(id0, 'c:never-joined')
    await roomsEverywhere(t, w, id0, [], 'leaving a room the socket is not in changes nothing')
  })

  t.test('leaveAll: every member of the source room leaves all its rooms and stays reachable', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    await w.nodes[0]?.sockets.join([id0, id1], ['c:team', 'c:a', 'c:b'])
    await w.nodes[0]?.sockets.join(id2, ['c:a', 'c:other'])
    await w.away(1).sockets.leaveAll('c:team')
    await roomsEverywhere(t, w, id0, [], 'the first member has no rooms left')
    await roomsEverywhere(t, w, id1, [], 'nor the second')
    await roomsEverywhere(t, w, id2, ['c:a', 'c:other'], 'a socket outside the source room keeps its rooms')
    await membersEverywhere(t, w, 'c:team', [], 'the source room is empty')
    await membersEverywhere(t, w, 'c:a', [id2], 'shared rooms keep their other members')

    await w.away(2).sockets.leaveAll(id2)
    await roomsEverywhere(t, w, id2, [], 'a socket id is a source room too')
    const still = w.clients.map((client) => nextEvent(client, 'direct'))
    for (const [i, id] of w.ids.entries()) w.away(i).sockets.emit(id, 'direct' as never, i as never)
    t.same(await Promise.all(still), [0, 1, 2], 'every socket still gets what is sent to its id')
  })

  t.test('addRoomMembersToRooms: the members of a room (or one socket) join other rooms', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    await w.nodes[0]?.sockets.join([id0, id1], 'c:red')
    await w.away(0).sockets.addRoomMembersToRooms('c:red', ['c:m7', 'c:m8'])
    await membersEverywhere(t, w, 'c:m7', [id0, id1], 'every member of the source joined the first room')
    await membersEverywhere(t, w, 'c:m8', [id0, id1], 'and the second')
    await roomsEverywhere(t, w, id2, [], 'a socket outside the source joined nothing')
    t.same(await whoHears(w, w.away(1), 'c:m8', 'kickoff'), [true, true, false], 'a broadcast to a joined room reaches the members')

    await w.away(2).sockets.addRoomMembersToRooms(id2, 'c:m7')
    await membersEverywhere(t, w, 'c:m7', [id0, id1, id2], 'a socket id is a source room too')
    await w.nodes[0]?.sockets.addRoomMembersToRooms('c:nobody', 'c:m9')
    await membersEverywhere(t, w, 'c:m9', [], 'an empty source room adds nobody')
  })

  t.test('removeRoomMembersFromRooms: the members of a room (or one socket) leave other rooms', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    await w.nodes[0]?.sockets.join([id0, id1], 'c:red')
    await w.nodes[0]?.sockets.join([id0, id1, id2], ['c:m7', 'c:m8'])
    await w.away(0).sockets.removeRoomMembersFromRooms('c:red', 'c:m7')
    await membersEverywhere(t, w, 'c:m7', [id2], 'the members of the source left the room')
    await membersEverywhere(t, w, 'c:m8', [id0, id1, id2], 'rooms not named are untouched')
    await roomsEverywhere(t, w, id0, ['c:red', 'c:m8'], 'the source room itself is kept')
    t.same(await whoHears(w, w.away(1), 'c:m7', 'after-remove'), [false, false, true], 'a broadcast to the left room reaches only who stayed')

    await w.away(2).sockets.removeRoomMembersFromRooms(id2, ['c:m7', 'c:m8'])
    await roomsEverywhere(t, w, id2, [], 'a socket id is a source room too')
    await membersEverywhere(t, w, 'c:m8', [id0, id1], 'the others stay')
  })

  t.test('members: every node answers with every member, once each', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    await membersEverywhere(t, w, 'c:empty', [], 'a room nobody is in has no members')
    await w.nodes[0]?.sockets.join([id0, id1, id2], 'c:all')
    await membersEverywhere(t, w, 'c:all', [id0, id1, id2], 'members held by every node, no duplicates')
    for (const [i, id] of w.ids.entries()) {
      for (const [n, node] of w.nodes.entries()) t.same(await node.sockets.members(id), [id], `the id room of socket ${i} holds it (asked on node ${n})`)
    }
    await membersEverywhere(t, w, 'no-such-socket-id-00', [], 'an id no socket has')
  })

  t.test('rooms: every node answers for every socket, without its own id room', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    for (const [i, id] of w.ids.entries()) await roomsEverywhere(t, w, id, [], `a new socket ${i} is in no room`)
    await w.nodes[0]?.sockets.join(id0, ['c:x', 'c:y'])
    await w.nodes[0]?.sockets.join([id1, id2], 'c:y')
    await roomsEverywhere(t, w, id0, ['c:x', 'c:y'], 'the rooms of the first socket')
    await roomsEverywhere(t, w, id2, ['c:y'], 'the rooms of the third')
    t.same((await request(w.clients[1] as ClientSocket, 'get', '/rooms')).body, { rooms: ['c:y'] }, 'rooms(request) of a socket request')
    await roomsEverywhere(t, w, 'no-such-socket-id-00', [], 'an id no socket has: no rooms')
  })

  t.test('disconnect: by socket id (held anywhere) and by an array; the others are untouched', async (t) => {
    const w = await world(t, createNodes)
    const [id0, id1, id2] = w.ids as [string, string, string]
    await w.nodes[0]?.sockets.join([id0, id1, id2], 'c:d')
    const gone2 = nextEvent<string>(w.clients[2] as ClientSocket, 'disconnect')
    await w.away(2).sockets.disconnect(id2)
    t.equal(await gone2, 'io server disconnect', 'the client is told the server disconnected it')
    await membersEverywhere(t, w, 'c:d', [id0, id1], 'once disconnect resolved, the socket is in no room on any node')
    await membersEverywhere(t, w, id2, [], 'nor in its id room')
    await roomsEverywhere(t, w, id2, [], 'and it has no rooms')
    t.equal(w.clients[0]?.connected, true, 'the first socket is still connected')

    const gone = [0, 1].map((i) => nextEvent<string>(w.clients[i] as ClientSocket, 'disconnect'))
    await w.away(0).sockets.disconnect([id0, id1])
    t.same(await Promise.all(gone), ['io server disconnect', 'io server disconnect'], 'an array disconnects every one')
    await membersEverywhere(t, w, 'c:d', [], 'and the room is empty')
  })

  t.test('ordering: a change that resolved is in force for the broadcast that follows it at once', async (t) => {
    const ROUNDS = 30
    const w = await world(t, createNodes)
    const heard = w.clients.map((client) => collect<number>(client, 'tick'))
    const after = w.clients.map((client) => collect<number>(client, 'tock'))
    const added = w.clients.map((client) => collect<number>(client, 'tack'))
    for (let round = 0; round < ROUNDS; round++) {
      const target = round % 3
      const id = w.ids[target] as string
      const from = w.away(target) // the caller is not the node that holds the socket, when there are several
      const room = `c:order:${round}`
      await from.sockets.join(id, room)
      from.sockets.broadcast(room, 'tick' as never, round as never)
      await from.sockets.addRoomMembersToRooms(id, `${room}:b`)
      from.sockets.broadcast(`${room}:b`, 'tack' as never, round as never)
      await from.sockets.leave(id, [room, `${room}:b`])
      from.sockets.broadcast([room, `${room}:b`], 'tock' as never, round as never)
    }
    await w.settle()
    const expected = (target: number): number[] => Array.from({ length: ROUNDS }, (_, round) => round).filter((round) => round % 3 === target)
    const misses = w.clients.reduce((sum, _client, i) => sum + expected(i).filter((round) => !(heard[i] as number[]).includes(round)).length, 0)
    const missesAdded = w.clients.reduce((sum, _client, i) => sum + expected(i).filter((round) => !(added[i] as number[]).includes(round)).length, 0)
    t.equal(misses, 0, `no broadcast right after an awaited join was missed (${ROUNDS} rounds)`)
    t.equal(missesAdded, 0, `none right after an awaited addRoomMembersToRooms (${ROUNDS} rounds)`)
    for (const [i, list] of heard.entries()) t.same(list, expected(i), `client ${i} heard its rounds once each, in order`)
    t.same(after.map((list) => list.length), [0, 0, 0], 'no broadcast right after an awaited leave reached the socket that left')
  })
}
