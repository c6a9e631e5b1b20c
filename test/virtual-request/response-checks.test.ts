// Node's own checks in the virtual response: an invalid header name or value throws as http.ServerResponse
// throws it, so Fastify runs onError and the error handler and answers 500 as over HTTP; status codes are
// coerced and range-checked as Node does.
import t from 'tap'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildApp, connect, request, urlOf } from '../helpers/app.js'
import { MODES, expectedBody } from '../helpers/parity.js'
import { VirtualConnection, VirtualIncoming } from '../../lib/virtual-request/request.js'
import { VirtualOutgoing } from '../../lib/virtual-request/response.js'

function routes (errors: string[]) {
  return (app: FastifyInstance): void => {
    app.addHook('onError', async (request, _reply, err) => { errors.push(`${request.isSocket ? 'socket' : 'http'}:${(err as { code?: string }).code ?? '?'}`) })
    app.get('/on-send-value', { onSend: async (_request, reply, payload) => { reply.header('x-bad', 'a\nb'); return payload } }, async () => ({ ok: 1 }))
    app.get('/on-send-name', { onSend: async (_request, reply, payload) => { reply.header('x bad', 'v'); return payload } }, async () => ({ ok: 1 }))
    app.get('/pre-serialization', { preSerialization: async (_request, reply, payload) => { reply.header('x-bad', 'nul\u0000'); return payload } }, async () => ({ ok: 1 }))
    app.get('/handler-value', async (_request, reply) => reply.header('x-bad', 'é\r\n').send({ ok: 1 }))
    app.get('/code', async (_request, reply) => reply.code(404.5).send({ coerced: true }))
    app.get('/raw-code', (_request, reply) => {
      reply.hijack()
      try {
        reply.raw.writeHead(1000)
      } catch (err) {
        reply.raw.writeHead(400, { 'content-type': 'text/plain' })
        reply.raw.end(`${(err as Error).name} ${(err as { code: string }).code} ${(err as Error).message}`)
      }
    })
    app.get('/raw-set', (_request, reply) => {
      reply.hijack()
      const caught: string[] = []
      for (const [name, value] of [['x-ok', 'fine'], ['bad name', 'v'], ['x-v', 'line\nbreak'], ['x-u', undefined]] as const) {
        try { reply.raw.setHeader(name, value as string) } catch (err) { caught.push(`${(err as { code: string }).code}: ${(err as Error).message}`) }
      }
      reply.raw.writeHead(200, { 'content-type': 'application/json' })
      reply.raw.end(JSON.stringify({ caught, ok: reply.raw.getHeader('x-ok') ?? null }))
    })
  }
}

async function viaHttp (app: FastifyInstance, path: string): Promise<{ status: number, headers: Record<string, string>, bytes: Buffer }> {
  const res = await fetch(urlOf(app) + path)
  const headers: Record<string, string> = {}
  res.headers.forEach((value, name) => { headers[name] = value })
  return { status: res.status, headers, bytes: Buffer.from(await res.arrayBuffer()) }
}

async function viaInject (app: FastifyInstance, path: string): Promise<{ status: number, headers: Record<string, string>, bytes: Buffer }> {
  const res = await app.inject(path)
  return { status: res.statusCode, headers: res.headers as Record<string, string>, bytes: res.rawPayload }
}

for (const dispatch of MODES) {
  t.test(`${dispatch}: an invalid header set in a hook or handler is a 500 over HTTP and over the socket alike`, async (t) => {
    const errors: string[] = []
    const app = await buildApp(t, { dispatch }, routes(errors))
    const socket = await connect(t, app)
    for (const path of ['/on-send-value', '/on-send-name', '/pre-serialization', '/handler-value', '/code', '/raw-code', '/raw-set']) {
      errors.length = 0
      // The oracle: a real HTTP request for the lean pair; for 'inject', light-my-request itself (app.inject):
      // it always takes Node's setHeader path, so after a refused header the 500 keeps the headers set before
      // it (a content type), where a real server answers without any
      const http = dispatch === 'lean' ? await viaHttp(app, path) : await viaInject(app, path)
      const httpBody = expectedBody(http.headers, http.bytes)
      const httpErrors = errors.splice(0).map((e) => e.replace('http:', ''))
      const jwr = await request(socket, 'get', path)
      const socketErrors = errors.splice(0).map((e) => e.replace('socket:', ''))
      t.equal(jwr.statusCode, http.status, `${path}: status ${http.status}`)
      t.equal(jwr.headers['content-type'], http.headers['content-type'], `${path}: content type`)
      t.same(jwr.body, httpBody, `${path}: body`)
      t.same(socketErrors, httpErrors, `${path}: onError ran the same way (${httpErrors.join(', ') || 'not at all'})`)
      t.equal(jwr.headers['x-bad'], undefined, `${path}: the refused header is not in the answer`)
    }
    // (after a refused header Fastify's last resort answers without a content type: the body arrives as its bytes)
    const json = (body: unknown): unknown => Buffer.isBuffer(body) ? JSON.parse(body.toString('utf8')) : body
    t.match(json((await request(socket, 'get', '/on-send-value')).body), { statusCode: 500, code: 'ERR_INVALID_CHAR' })
    t.match(json((await request(socket, 'get', '/on-send-name')).body), { statusCode: 500, code: 'ERR_INVALID_HTTP_TOKEN' })
    const coerced = await request(socket, 'get', '/code')
    t.same([coerced.statusCode, coerced.body], [404, { coerced: true }], 'reply.code(404.5) answers 404')
  })
}

// Names and texts that passed are remembered (node-checks.ts): what passed once passes again, and a bad one
// is refused however many good ones came before, under the same name or not.
t.test('remembered header names and texts let nothing bad through', async (t) => {
  const fresh = (): VirtualOutgoing<undefined> =>
    new VirtualOutgoing(new VirtualIncoming({}, new VirtualConnection('127.0.0.1', false), { method: 'GET', url: '/', headers: {}, payload: undefined }), () => {}, undefined)
  for (let i = 0; i < 3; i++) {
    t.doesNotThrow(() => fresh().writeHead(200, 'OK', { 'content-type': 'text/plain', 'X-Mixed': 'v' }), `good headers, ${i + 1}`)
  }
  t.throws(() => fresh().writeHead(200, { 'content-type': 'text/plain\r\nx: y' }), { code: 'ERR_INVALID_CHAR' }, 'a bad value under a remembered name')
  t.throws(() => fresh().writeHead(200, { 'content type': 'text/plain' }), { code: 'ERR_INVALID_HTTP_TOKEN' }, 'a bad name with a remembered value')
  t.throws(() => fresh().writeHead(200, 'OK\n'), { code: 'ERR_INVALID_CHAR' }, 'a bad status message after a remembered one')
  t.throws(() => fresh().setHeader('content-type', undefined as unknown as string), { code: 'ERR_HTTP_INVALID_HEADER_VALUE' }, 'no value under a remembered name')
  t.throws(() => fresh().setHeader(42 as unknown as string, 'text/plain'), { code: 'ERR_INVALID_HTTP_TOKEN' }, 'a name that is not a string')
  const res = fresh()
  res.setHeader('X-Mixed', 'a')
  res.setHeader('X-MIXED', 'b')
  t.equal(res.getHeader('x-mixed'), 'b', 'names are lowered once and found by any spelling')
  t.same(res.getRawHeaderNames(), ['X-MIXED'], 'the spelling last given is kept')
  const long = 'x'.repeat(200)
  t.doesNotThrow(() => { fresh().setHeader(long, long); fresh().setHeader(long, long) }, 'long names and texts (not remembered) are checked each time')
})

// The same bad call on a real ServerResponse and on the virtual one throws the same error: class, code, message.
t.test('the virtual response throws what a real ServerResponse throws', async (t) => {
  const fresh = (): { real: ServerResponse, ours: VirtualOutgoing<undefined> } => ({
    real: new ServerResponse(new IncomingMessage(new Socket())),
    ours: new VirtualOutgoing(new VirtualIncoming({}, new VirtualConnection('127.0.0.1', false), { method: 'GET', url: '/', headers: {}, payload: undefined }), () => {}, undefined)
  })
  type Res = ServerResponse | VirtualOutgoing<undefined>
  const calls: Array<[string, (res: Res) => unknown]> = [
    ['setHeader bad name', (r) => r.setHeader('a b', '1')],
    ['setHeader empty name', (r) => r.setHeader('', '1')],
    ['setHeader CR LF', (r) => r.setHeader('x', 'a\r\nb')],
    ['setHeader undefined', (r) => r.setHeader('x', undefined as unknown as string)],
    ['setHeader array with a bad value', (r) => r.setHeader('x', ['ok', 'b\u0000'])],
    ['appendHeader bad value', (r) => r.appendHeader('x', 'a\nb')],
    ['getHeader not a string', (r) => r.getHeader(1 as unknown as string)],
    ['hasHeader not a string', (r) => r.hasHeader({} as unknown as string)],
    ['removeHeader not a string', (r) => { r.removeHeader(null as unknown as string) }],
    ['setHeaders not a map', (r) => r.setHeaders([] as unknown as Map<string, string>)],
    ['writeHead 99', (r) => r.writeHead(99)],
    ['writeHead 1000', (r) => r.writeHead(1000)],
    ['writeHead NaN', (r) => r.writeHead(Number.NaN)],
    ['writeHead string code', (r) => r.writeHead('abc' as unknown as number)],
    ['writeHead bad message', (r) => r.writeHead(200, 'OK\r\nX: y')],
    ['writeHead bad header value', (r) => r.writeHead(200, { x: 'a\nb' })],
    ['writeHead bad header name', (r) => r.writeHead(200, { 'a:b': '1' })],
    ['writeHead odd header list', (r) => r.writeHead(200, ['x'] as unknown as Record<string, string>)],
    ['write an object', (r) => r.write({} as unknown as string)],
    ['write null', (r) => r.write(null as unknown as string)],
    ['write a number', (r) => r.write(7 as unknown as string)],
    ['addTrailers bad name', (r) => { r.addTrailers({ 'a b': '1' }) }],
    ['addTrailers bad value', (r) => { r.addTrailers({ x: 'a\nb' }) }],
    ['setHeader after writeHead', (r) => { r.writeHead(200); r.setHeader('x', '1') }],
    ['appendHeader after writeHead', (r) => { r.writeHead(200); r.appendHeader('x', '1') }],
    ['removeHeader after writeHead', (r) => { r.writeHead(200); r.removeHeader('x') }],
    ['writeHead twice', (r) => { r.writeHead(200); r.writeHead(200) }]
  ]
  const outcome = (fn: () => unknown): string => {
    try { fn(); return 'no error' } catch (err) { return `${(err as Error).name} ${(err as { code?: string }).code ?? ''}: ${(err as Error).message}` }
  }
  for (const [name, call] of calls) {
    const { real, ours } = fresh()
    const expected = outcome(() => call(real))
    t.not(expected, 'no error', `${name}: Node refuses it`)
    t.equal(outcome(() => call(ours)), expected, `${name}: ${expected}`)
  }
  for (const code of [200.9, 404.5, '201', 599]) {
    const { real, ours } = fresh()
    real.writeHead(code as number)
    ours.writeHead(code as number)
    t.equal(ours.statusCode, real.statusCode, `writeHead(${JSON.stringify(code)}) gives ${real.statusCode}`)
    t.equal(ours.statusMessage, real.statusMessage)
  }
  const { real, ours } = fresh()
  for (const res of [real, ours] as Res[]) {
    res.setHeader('X-Mixed', ['1', '2'])
    res.appendHeader('x-mixed', '3')
    res.setHeaders(new Headers([['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]))
  }
  t.same(ours.getHeaders(), { ...real.getHeaders() }, 'setHeader, appendHeader, setHeaders: same headers')
  t.same(ours.getRawHeaderNames(), (real as unknown as { getRawHeaderNames: () => string[] }).getRawHeaderNames(), 'same raw header names')
})
