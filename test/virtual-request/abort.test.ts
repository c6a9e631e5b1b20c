// A virtual request whose answer nobody awaits any more (its deadline passed, its socket left) is aborted as an
// HTTP request whose client hangs up: request.signal aborts, onRequestAbort hooks run. In both dispatch modes.
import t from 'tap'
import { buildApp, connect, request, waitFor } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'

for (const dispatch of MODES) {
  t.test(`${dispatch}: past its deadline, a request gets a 504 and its route sees request.signal abort`, async (t) => {
    const seen: string[] = []
    const app = await buildApp(t, { dispatch, requestTimeout: 300 }, (app) => {
      app.get('/slow', {
        onRequestAbort: async () => { seen.push('onRequestAbort') }
      }, async (request) => await new Promise((resolve) => {
        request.signal.addEventListener('abort', () => { seen.push('signal'); resolve({ late: true }) })
      }))
    })
    const socket = await connect(t, app)
    const jwr = await request(socket, 'get', '/slow')
    t.match(jwr, { statusCode: 504, body: { code: 'FST_SOCKETS_REQUEST_TIMEOUT' } })
    await waitFor(() => seen.length === 2, 'the route to see the abort', 5000)
    t.same(seen.sort(), ['onRequestAbort', 'signal'])
  })

  t.test(`${dispatch}: a socket that leaves mid-request aborts it`, async (t) => {
    const seen: string[] = []
    let started!: () => void
    const running = new Promise<void>((resolve) => { started = resolve })
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/wait', async (request) => await new Promise((resolve) => {
        request.signal.addEventListener('abort', () => { seen.push('signal'); resolve({}) })
        started()
      }))
    })
    const socket = await connect(t, app)
    socket.emit('get', { method: 'get', url: '/wait', headers: {} }, () => { seen.push('acked') })
    await running
    socket.disconnect()
    await waitFor(() => seen.includes('signal'), 'the route to see the abort', 5000)
    t.same(seen, ['signal'], 'aborted, and no ack for a socket that left')
  })
}

t.test('lean: a route with an onTimeout hook keeps its bookkeeping on the socket\'s connection and lets go of it', async (t) => {
  // Fastify adds a 'timeout' listener to request.socket and keeps _meta there while the answer is made (a
  // virtual connection makes its listener table only then: request.ts), and lets go of both once the answer
  // finished when it listens for that (a logger or an onResponse hook; without either it keeps them, over HTTP too)
  let seen: { timeouts: number, meta: unknown } | undefined
  const connections = new Set<unknown>()
  const app = await buildApp(t, {}, (app) => {
    app.get('/t', { onTimeout: async () => {}, onResponse: async () => {} }, async (request) => {
      const conn = request.socket as unknown as { listenerCount: (name: string) => number, _meta: unknown }
      connections.add(conn)
      seen = { timeouts: conn.listenerCount('timeout'), meta: conn._meta }
      return { ok: true }
    })
  })
  const socket = await connect(t, app)
  t.same((await request(socket, 'get', '/t')).body, { ok: true })
  t.equal(seen?.timeouts, 1, 'the listener is there while the route runs')
  t.ok(seen?.meta !== null && typeof seen?.meta === 'object', 'and the bookkeeping')
  const answers = await Promise.all([request(socket, 'get', '/t'), request(socket, 'get', '/t'), request(socket, 'get', '/t')])
  t.same(answers.map((a) => a.statusCode), [200, 200, 200], 'concurrent requests of one socket')
  t.equal(connections.size, 1, 'share one connection')
  t.equal(seen?.timeouts, 1, 'and one listener')
  const conn = [...connections][0] as { listenerCount: (name: string) => number, _meta: unknown }
  t.equal(conn.listenerCount('timeout'), 0, 'no listener left once they are answered')
  t.equal(conn._meta, null, 'nor bookkeeping')
})
