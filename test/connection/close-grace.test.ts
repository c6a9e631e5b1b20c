// fastify.close() answers what committed: virtual requests in flight finish within closeGrace and get
// their real results (as HTTP requests in flight do); only those still running at its end get the 503
// and an aborted request.signal.
import t from 'tap'
import { performance } from 'node:perf_hooks'
import type { AddressInfo } from 'node:net'
import type { Socket as ClientSocket } from 'socket.io-client'
import { resolveOptions } from '../../lib/options.js'
import { buildApp, connect, request, waitFor, delay } from '../helpers/app.js'

const POSTS = 100
const SOCKETS = 4

t.test('closeGrace is validated, defaults to 5000 ms and never exceeds requestTimeout', async (t) => {
  t.equal(resolveOptions({}, {}).closeGrace, 5000)
  t.equal(resolveOptions({ requestTimeout: 2000 }, {}).closeGrace, 2000, 'the default is taken down to requestTimeout')
  t.equal(resolveOptions({ closeGrace: 0 }, {}).closeGrace, 0)
  for (const bad of [-1, 1.5, '5s', 2 ** 31]) {
    t.throws(() => resolveOptions({ closeGrace: bad }, {}), { code: 'FST_SOCKETS_OPTIONS_INVALID' }, JSON.stringify(bad))
  }
  t.throws(() => resolveOptions({ closeGrace: 3000, requestTimeout: 2000 }, {}), { code: 'FST_SOCKETS_OPTIONS_INVALID', message: /must not exceed requestTimeout/ })
})

t.test(`close() with ${POSTS} POSTs in flight answers each with its real result`, async (t) => {
  const stored: number[] = []
  let entered = 0
  let release!: () => void
  const writes = new Promise<void>((resolve) => { release = resolve })
  const app = await buildApp(t, { requestTimeout: 10_000 }, (app) => {
    app.post<{ Body: { n: number } }>('/items', async (request, reply) => {
      entered++
      await writes // the write takes a while
      stored.push(request.body.n)
      return await reply.code(201).send({ stored: request.body.n })
    })
  })
  const clients: ClientSocket[] = []
  for (let i = 0; i < SOCKETS; i++) clients.push(await connect(t, app))
  const answers = Array.from({ length: POSTS }, async (_, n) => await request(clients[n % SOCKETS]!, 'post', '/items', { n }, {}, 15_000))
  const { port } = app.server.address() as AddressInfo
  const http = fetch(`http://127.0.0.1:${port}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: -1 }) })
  await waitFor(() => entered === POSTS + 1, 'every request to be in its route')

  const started = performance.now()
  const closing = app.close()
  // closing has begun once Fastify refuses inject()
  await waitFor(async () => await app.inject('/').then(() => false, (err: { code?: string }) => err.code === 'FST_ERR_REOPENED_CLOSE_SERVER'), 'close() to begin')
  const late = await request(clients[0]!, 'post', '/items', { n: 1000 })
  t.match(late, { statusCode: 503, body: { code: 'FST_SOCKETS_SERVER_CLOSING' } }, 'a request sent after close() began is refused at once, unrun')
  const releasedAt = performance.now()
  release()
  const jwrs = await Promise.all(answers)
  await closing
  const closeMs = Math.round(performance.now() - started)
  const afterRelease = Math.round(performance.now() - releasedAt)

  t.same(jwrs.map((jwr) => jwr.statusCode), jwrs.map(() => 201), 'every POST in flight got its real status')
  t.same(jwrs.map((jwr) => jwr.body), jwrs.map((_, n) => ({ stored: n })), 'and its real body')
  t.equal((await http).status, 201, 'as the HTTP request in flight did')
  t.same([...stored].filter((n) => n >= 0).sort((x, y) => x - y), [...Array(POSTS).keys()], 'each committed exactly once')
  t.notOk(stored.includes(1000), 'the refused one never ran')
  t.equal(app.sockets.stats().inFlight, 0)
  t.comment(`close() took ${closeMs} ms with ${POSTS} socket POSTs in flight (closeGrace 5000 ms), ${afterRelease} ms of it after their writes were let through`)
})

t.test('those still running when closeGrace ends get the 503 and an aborted request.signal', async (t) => {
  let aborted = 0
  let finishedAfterAbort = 0
  let entered = 0
  const app = await buildApp(t, { closeGrace: 300 }, (app) => {
    app.post('/quick', async () => { entered++; await delay(50); return { quick: true } })
    app.post('/stuck', async (request) => {
      entered++
      await new Promise<void>((resolve) => request.signal.addEventListener('abort', () => { aborted++; resolve() }))
      finishedAfterAbort++
      return { stuck: 'finished late' }
    })
  })
  const socket = await connect(t, app)
  const quick = request(socket, 'post', '/quick')
  const stuck = [request(socket, 'post', '/stuck'), request(socket, 'post', '/stuck')]
  await waitFor(() => entered === 3, 'the requests to be in their routes')
  const started = performance.now()
  await app.close()
  const closeMs = Math.round(performance.now() - started)
  t.match(await quick, { statusCode: 200, body: { quick: true } }, 'the one that finished within the grace got its result')
  for (const jwr of await Promise.all(stuck)) t.match(jwr, { statusCode: 503, body: { code: 'FST_SOCKETS_SERVER_CLOSING' } })
  t.equal(aborted, 2, 'each 503 came with an aborted request.signal')
  t.equal(finishedAfterAbort, 2, 'the routes saw it and ended')
  t.comment(`close() with 2 requests outlasting closeGrace 300 ms took ${closeMs} ms`)
})
