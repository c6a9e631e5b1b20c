// Slow consumers: clients that never read what the server sends them. Without a bound, one grew the server's
// RSS by 300 MB (maxInFlight cannot help: a request leaves the in-flight set once its answer is queued).
// maxQueuedBytes caps what is held for one client, answers and broadcasts alike; past it the client is
// disconnected with FST_SOCKETS_SLOW_CONSUMER. The figures (RSS, time to disconnect, a normal client's p99)
// are measured and reported as comments, never asserted as timings.
import t, { type Test } from 'tap'
import { createRequire } from 'node:module'
import { request as httpRequest } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { Socket as ClientSocket } from 'socket.io-client'
import { buildApp, connect, nextEvent, request, urlOf, waitFor } from '../helpers/app.js'

const require = createRequire(import.meta.url)
interface RawWs { _socket: { pause (): void }, on (event: string, fn: (data: unknown) => void): void, send (data: string): void, close (): void, terminate (): void }
const WebSocket = require('ws') as new (url: string) => RawWs

const ANSWER = 100_000
const SLOW_CLIENTS = 50
const CAP = 1_048_576 // the default
const BIG = JSON.stringify({ data: 'x'.repeat(ANSWER) })

interface World { app: FastifyInstance, reasons: Map<string, string>, logs: Array<{ msg: string, code?: string, queued?: number }> }

async function world (t: Test, opts: { maxQueuedBytes?: number } = {}): Promise<World> {
  const reasons = new Map<string, string>()
  const logs: World['logs'] = []
  const stream = { write: (line: string) => { logs.push(JSON.parse(line) as World['logs'][number]) } }
  const app = await buildApp(t, { ...opts, onDisconnect: (socket, reason) => { reasons.set(socket.id, reason) } }, (app) => {
    app.get('/big', async (_request, reply) => reply.type('application/json').send(BIG))
    app.get('/small', async () => ({ ok: true }))
  }, { logger: { level: 'warn', stream } })
  return { app, reasons, logs }
}

function http (app: FastifyInstance, query: string, body?: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${urlOf(app)}/socket.io/?${query}`, { method: body === undefined ? 'GET' : 'POST', agent: false, headers: { 'content-type': 'text/plain;charset=UTF-8' } }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => { text += chunk.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const packet = (ack: number): string => `42${ack}["get",{"method":"get","url":"/big","headers":{}}]`

/**
 * A polling client that reads its connect answer, then only POSTs requests for 100 kB answers and never polls
 * again. Resolves with the ms from its first request until the server dropped it.
 */
async function slowPolling (w: World, deadline: number): Promise<number> {
  const open = await http(w.app, 'EIO=4&transport=polling')
  const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid
  const session = `EIO=4&transport=polling&sid=${sid}`
  await http(w.app, session, '40')
  const id = (JSON.parse((await http(w.app, session)).body.slice(2)) as { sid: string }).sid
  const started = Date.now()
  let ack = 0
  while (!w.reasons.has(id) && Date.now() < deadline) {
    const batch = Array.from({ length: 8 }, () => packet(ack++)).join('\x1e')
    if ((await http(w.app, session, batch)).status !== 200) break // the session is gone
  }
  await waitFor(() => w.reasons.has(id), `slow polling client ${id} to be dropped`, Math.max(1, deadline - Date.now()))
  return Date.now() - started
}

/** A websocket client that reads its connect answer, then stops reading (its TCP window closes) and keeps asking. */
async function slowWebsocket (t: Test, w: World, deadline: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(urlOf(w.app)).port}/socket.io/?EIO=4&transport=websocket`)
  t.teardown(() => { ws.terminate() })
  ws.on('error', () => {})
  const id = await new Promise<string>((resolve) => {
    ws.on('message', (data) => {
      const text = String(data)
      if (text.startsWith('0{')) ws.send('40')
      if (text.startsWith('40{')) resolve((JSON.parse(text.slice(2)) as { sid: string }).sid)
    })
  })
  ws._socket.pause()
  const started = Date.now()
  let ack = 0
  while (!w.reasons.has(id) && Date.now() < deadline) {
    for (let i = 0; i < 8; i++) ws.send(packet(ack++))
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await waitFor(() => w.reasons.has(id), `slow websocket client ${id} to be dropped`, Math.max(1, deadline - Date.now()))
  return Date.now() - started
}

/** Latencies (ms) of `n` sequential small requests of a client that reads normally. */
async function latencies (socket: ClientSocket, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    const jwr = await request(socket, 'get', '/small', undefined, undefined, 30_000)
    if (jwr.statusCode !== 200) throw new Error(`normal client got ${jwr.statusCode}`)
    out.push(performance.now() - started)
  }
  return out
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
}

const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`

for (const transport of ['polling', 'websocket'] as const) {
  t.test(`${SLOW_CLIENTS} ${transport} clients that never read 100 kB answers are dropped; memory stays bounded`, async (t) => {
    const w = await world(t)
    const normal = await connect(t, w.app)
    const before = await latencies(normal, 200) // also the warm-up
    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss) }, 10)
    t.teardown(() => clearInterval(sampler))

    const deadline = Date.now() + 60_000
    const attack = Promise.all(Array.from({ length: SLOW_CLIENTS }, async () =>
      transport === 'polling' ? await slowPolling(w, deadline) : await slowWebsocket(t, w, deadline)))
    const during = await latencies(normal, 200)
    const times = await attack
    clearInterval(sampler)
    const rssAfter = process.memoryUsage().rss

    const dropped = [...w.reasons.values()].filter((reason) => reason === 'FST_SOCKETS_SLOW_CONSUMER')
    t.equal(dropped.length, SLOW_CLIENTS, 'every slow client was disconnected with the coded reason')
    t.ok(normal.connected, 'the normal client was not')
    const lines = w.logs.filter((line) => line.code === 'FST_SOCKETS_SLOW_CONSUMER')
    t.ok(lines.length >= 10 && lines.length <= SLOW_CLIENTS, `logged once per client at most (thinned): ${lines.length} lines`)
    t.ok(lines.every((line) => (line.queued ?? 0) > CAP && (line.queued ?? 0) <= CAP + 2 * ANSWER), 'each past the cap by at most one answer')
    // generous: the bound is the cap per client plus one answer each, and the garbage of making the answers
    const bound = SLOW_CLIENTS * (CAP + ANSWER) * 3 + 128 * 1_048_576
    t.ok(rssPeak - rssBefore < bound, `RSS growth ${mb(rssPeak - rssBefore)} < ${mb(bound)}`)
    t.comment(`${transport}: cap ${mb(CAP)}, ${SLOW_CLIENTS} slow clients; RSS before ${mb(rssBefore)}, peak ${mb(rssPeak)} ` +
      `(+${mb(rssPeak - rssBefore)}), after ${mb(rssAfter)}; time to disconnect p50 ${percentile(times, 0.5)} ms, max ${Math.max(...times)} ms; ` +
      `normal client p50/p99 ${percentile(before, 0.5).toFixed(1)}/${percentile(before, 0.99).toFixed(1)} ms alone, ` +
      `${percentile(during, 0.5).toFixed(1)}/${percentile(during, 0.99).toFixed(1)} ms during the attack`)
  })
}

t.test('broadcasts count too: a websocket member that stops reading is dropped, a reading one is not', async (t) => {
  const w = await world(t)
  const reader = await connect(t, w.app)
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(urlOf(w.app)).port}/socket.io/?EIO=4&transport=websocket`)
  t.teardown(() => { ws.terminate() })
  ws.on('error', () => {})
  const slowId = await new Promise<string>((resolve) => {
    ws.on('message', (data) => {
      const text = String(data)
      if (text.startsWith('0{')) ws.send('40')
      if (text.startsWith('40{')) resolve((JSON.parse(text.slice(2)) as { sid: string }).sid)
    })
  })
  ws._socket.pause()
  await w.app.sockets.join([slowId, reader.id as string], 'feed')
  const payload = { data: 'y'.repeat(ANSWER) }
  let sent = 0
  while (!w.reasons.has(slowId) && sent < 2000) {
    const heard = nextEvent(reader, 'news', 30_000)
    w.app.sockets.broadcast('feed', 'news', payload)
    sent++
    await heard // paced by the reader: it never falls behind
  }
  t.equal(w.reasons.get(slowId), 'FST_SOCKETS_SLOW_CONSUMER', `the slow member was dropped after ${sent} broadcasts of 100 kB`)
  t.ok(reader.connected, 'the reading member was not')
  t.same(await w.app.sockets.members('feed'), [reader.id], 'and is the room\'s only member')
})

t.test('one answer bigger than the cap still reaches a client that reads', async (t) => {
  const w = await world(t, { maxQueuedBytes: 10_000 })
  for (const transports of [['websocket'], ['polling']]) {
    const socket = await connect(t, w.app, { transports })
    const jwr = await request(socket, 'get', '/big')
    t.equal(jwr.statusCode, 200, `${transports[0]}: a 100 kB answer past a 10 kB cap`)
    t.equal((jwr.body as { data: string }).data.length, ANSWER)
    t.ok(socket.connected)
  }
  t.same([...w.reasons.values()], [], 'nobody was dropped')
})
