// Connection state recovery (the `recovery` option), on one node (in-memory adapter) and on two nodes
// ('streams'): authentication runs again on every recovery (allowRequest, onConnection with
// socket.recovered true) and a refusal ends the session; the client SDK reports it and keeps its queue;
// a request in flight at the drop fails, never retried.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { io as ioClient, type Socket as RawClient } from 'socket.io-client'
import type { FastifySocketsOptions } from '../../lib/index.js'
import { connect as sdkConnect } from '../../lib/client/index.js'
import { buildApp, urlOf, waitFor } from '../helpers/app.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'
import { converged } from '../helpers/cluster.js'

const MODES = ['memory', 'streams'] as const
type Mode = typeof MODES[number]

interface Auth { refuse: boolean, allowRequests: number, connections: Array<{ id: string, recovered: boolean }> }

// Node `a` (holding the client) and the node broadcasts come from (`b`; `a` itself on one node).
async function nodes (t: Test, mode: Mode, auth: Auth, setup?: (app: FastifyInstance) => void): Promise<{ a: FastifyInstance, b: FastifyInstance }> {
  const hooks: FastifySocketsOptions = {
    recovery: { maxDisconnectionDuration: 30_000 },
    allowRequest: () => { auth.allowRequests++; return true },
    onConnection: (socket) => {
      auth.connections.push({ id: socket.id, recovered: socket.recovered })
      if (auth.refuse) throw new Error('token revoked')
    }
  }
  if (mode === 'memory') {
    const a = await buildApp(t, hooks, setup)
    return { a, b: a }
  }
  const redis = await RedisServer.start(t)
  const cluster = (nodeId: string): FastifySocketsOptions['cluster'] => ({ redis: { url: redis.url }, adapter: 'streams', nodeId })
  const a = await buildApp(t, { ...hooks, cluster: cluster('rec-a') }, setup)
  const b = await buildApp(t, { cluster: cluster('rec-b') })
  await converged([a, b])
  return { a, b }
}

// Closes the socket's transport from the server side: the client sees 'transport close' and reconnects.
function dropTransport (app: FastifyInstance, id: string): void {
  app.sockets.io.of('/').sockets.get(id)?.conn.close()
}

for (const mode of MODES) {
  const skip = mode === 'streams' ? redisSkipReason() : false

  t.test(`${mode}: allowRequest and onConnection run on every recovery, and a refusal ends the session`, { skip }, async (t) => {
    const auth: Auth = { refuse: false, allowRequests: 0, connections: [] }
    const { a, b } = await nodes(t, mode, auth)
    const client: RawClient = ioClient(urlOf(a), { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, randomizationFactor: 0 })
    t.teardown(() => { client.close() })
    const seen: string[] = []
    client.on('news', (n: string) => { seen.push(n) })
    await waitFor(() => client.connected, 'the first connection')
    const id = client.id as string
    await b.sockets.join(id, 'news-room')

    dropTransport(a, id)
    await waitFor(() => !client.connected, 'the drop')
    b.sockets.broadcast('news-room', 'news' as never, 'missed' as never)
    await waitFor(() => client.connected, 'the recovery')
    t.equal(client.recovered, true, 'recovered')
    t.equal(client.id, id, 'same socket id')
    t.same(await b.sockets.rooms(id), ['news-room'], 'rooms kept')
    await waitFor(() => seen.includes('missed'), 'the broadcast sent while away')
    t.same(auth.connections, [{ id, recovered: false }, { id, recovered: true }], 'onConnection ran again, seeing socket.recovered')
    t.equal(auth.allowRequests, 2, 'allowRequest ran again')

    auth.refuse = true
    const refused = new Promise<{ data?: { code?: string } }>((resolve) => client.once('connect_error', resolve))
    dropTransport(a, id)
    t.match(await refused, { data: { code: 'FST_SOCKETS_CONNECTION_REFUSED' } }, 'the refused recovery is a refused connection')
    t.notOk(client.connected, 'not connected')
    t.same(auth.connections.at(-1), { id, recovered: true }, 'onConnection saw the recovery it refused')
    await waitFor(async () => (await b.sockets.rooms(id)) === undefined || (await b.sockets.rooms(id))?.length === 0, 'the refused socket to be gone')

    auth.refuse = false
    client.connect()
    await waitFor(() => client.connected, 'a new connection')
    t.equal(client.recovered, false, 'the refusal ended the session: the next connection is a fresh one')
    t.not(client.id, id, 'with a new id')
  })

  t.test(`${mode}: the client SDK reports socket.recovered, keeps its queue, fails what was in flight`, { skip }, async (t) => {
    const auth: Auth = { refuse: false, allowRequests: 0, connections: [] }
    let slowCalls = 0
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const { a } = await nodes(t, mode, auth, (app) => {
      app.get('/slow', async () => { slowCalls++; await gate; return { slow: true } })
      app.get('/echo', async (request) => ({ id: app.sockets.getId(request) }))
    })
    t.teardown(() => { release() })
    const socket = sdkConnect(urlOf(a), { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 100 })
    t.teardown(() => { socket.disconnect() })
    await waitFor(() => socket.isConnected(), 'the SDK to connect')
    t.equal(socket.recovered, false, 'a first connection is not a recovery')
    const id = socket.id as string

    const inFlight = socket.get('/slow').then(() => undefined, (err: unknown) => err)
    await waitFor(() => slowCalls === 1, 'the slow request to reach its route')
    dropTransport(a, id)
    await waitFor(() => !socket.isConnected(), 'the drop')
    const queued = socket.get('/echo')
    t.match(await inFlight, { code: 'FST_SOCKETS_CLIENT_DISCONNECTED' }, 'the request in flight at the drop fails')
    t.same((await queued).body, { id }, 'the request queued while away is answered after recovery, on the same socket id')
    t.equal(socket.recovered, true, 'socket.recovered')
    release()
    t.equal(slowCalls, 1, 'no silent retry of the request in flight')
  })
}
