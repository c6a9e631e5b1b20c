import t from 'tap'
import { Readable } from 'node:stream'
import { buildApp, connect, request } from '../helpers/app.js'
import { MODES } from '../helpers/parity.js'

// The dispatch path: a virtual request runs the whole Fastify lifecycle, on the plugin's own
// request/response pair (dispatch: 'lean') or through light-my-request (dispatch: 'inject'), the same way.

for (const dispatch of MODES) {
  t.test(`${dispatch}: every hook runs, in order, and onResponse after the answer`, async (t) => {
    const seen: string[] = []
    let responded!: () => void
    const onResponse = new Promise<void>((resolve) => { responded = resolve })
    const app = await buildApp(t, { dispatch }, (app) => {
      for (const hook of ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend'] as const) {
        app.addHook(hook, async (request: { isSocket: boolean }) => { seen.push(`${hook}:${request.isSocket}`) })
      }
      app.addHook('onResponse', async (request, reply) => {
        seen.push(`onResponse:${request.isSocket}:${reply.statusCode}`)
        responded()
      })
      app.post('/hooks', async (request) => ({ got: request.body }))
    })
    const socket = await connect(t, app)
    const jwr = await request(socket, 'post', '/hooks', { a: 1 })
    t.equal(jwr.statusCode, 200)
    t.same(jwr.body, { got: { a: 1 } })
    await onResponse
    t.same(seen, ['onRequest:true', 'preParsing:true', 'preValidation:true', 'preHandler:true', 'preSerialization:true', 'onSend:true', 'onResponse:true:200'],
      'every lifecycle hook runs for a virtual request, in order')
  })

  t.test(`${dispatch}: body schema validation and response serializer run`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.post('/v', {
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 1 } } },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } }
        }
      }, async (request) => ({ n: (request.body as { n: number }).n, secret: 'stripped by the serializer' }))
    })
    const socket = await connect(t, app)
    const ok = await request(socket, 'post', '/v', { n: 3 })
    t.equal(ok.statusCode, 200)
    t.same(ok.body, { n: 3 })
    const bad = await request(socket, 'post', '/v', { n: 0 })
    t.equal(bad.statusCode, 400)
    t.match(bad.body, { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request' })
    t.match((bad.body as { message: string }).message, /body\/n must be >= 1/)
  })

  t.test(`${dispatch}: a non-ASCII body is read whole (content-length counts bytes)`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => { app.post('/echo', async (request) => request.body) })
    const socket = await connect(t, app)
    const data = { text: 'héllo wörld — 你好 🎉'.repeat(50) }
    const jwr = await request(socket, 'post', '/echo', data)
    t.equal(jwr.statusCode, 200)
    t.same(jwr.body, data)
  })

  t.test(`${dispatch}: bodyLimit applies to socket bodies`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => { app.post('/small', { bodyLimit: 64 }, async () => ({ ok: true })) })
    const socket = await connect(t, app)
    const jwr = await request(socket, 'post', '/small', { text: 'x'.repeat(200) })
    t.equal(jwr.statusCode, 413)
    t.match(jwr.body, { code: 'FST_ERR_CTP_BODY_TOO_LARGE' })
  })

  t.test(`${dispatch}: error handler and not-found handler answer sockets`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.setErrorHandler(async (err: Error, request, reply) => reply.code(418).send({ handled: err.message, isSocket: request.isSocket }))
      app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ missing: request.url }))
      app.get('/boom', async () => { throw new Error('kaboom') })
    })
    const socket = await connect(t, app)
    const boom = await request(socket, 'get', '/boom')
    t.equal(boom.statusCode, 418)
    t.same(boom.body, { handled: 'kaboom', isSocket: true })
    const missing = await request(socket, 'get', '/nowhere?x=1')
    t.equal(missing.statusCode, 404)
    t.same(missing.body, { missing: '/nowhere?x=1' })
  })

  t.test(`${dispatch}: the default 404 has Fastify's shape`, async (t) => {
    const app = await buildApp(t, { dispatch })
    const socket = await connect(t, app)
    const jwr = await request(socket, 'delete', '/none')
    t.equal(jwr.statusCode, 404)
    t.same(jwr.body, { message: 'Route DELETE:/none not found', error: 'Not Found', statusCode: 404 })
  })

  t.test(`${dispatch}: request facts: ip, protocol, plain headers object, query, params`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/facts/:id', async (request) => ({
        ip: request.ip,
        protocol: request.protocol,
        plainHeaders: Object.getPrototypeOf(request.headers) === Object.prototype,
        hasUa: Object.prototype.hasOwnProperty.call(request.headers, 'user-agent'),
        query: request.query,
        params: request.params,
        method: request.method
      }))
    })
    const socket = await connect(t, app, { extraHeaders: { 'user-agent': 'bench-ua' } })
    const jwr = await request(socket, 'get', '/facts/7', { q: 'x' })
    t.equal(jwr.statusCode, 200)
    t.match(jwr.body, { protocol: 'http', plainHeaders: true, hasUa: true, query: { q: 'x' }, params: { id: '7' }, method: 'GET' })
    t.match((jwr.body as { ip: string }).ip, /127\.0\.0\.1$/)
  })

  t.test(`${dispatch}: stream, Buffer, HEAD, 204 and hijacked replies`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/stream', async (request, reply) => reply.type('text/plain').send(Readable.from(['str', 'eam'])))
      app.get('/buffer', async (request, reply) => reply.type('application/octet-stream').send(Buffer.from('bytes')))
      app.get('/json', async () => ({ a: 1 }))
      app.delete('/gone', async (request, reply) => reply.code(204).send())
      app.get('/raw', (request, reply) => {
        reply.hijack()
        reply.raw.writeHead(201, { 'content-type': 'text/plain', 'x-raw': 'yes' })
        reply.raw.write('ra')
        reply.raw.end('w')
      })
    })
    const socket = await connect(t, app)
    const stream = await request(socket, 'get', '/stream')
    t.equal(stream.statusCode, 200)
    t.equal(stream.body, 'stream')
    const buffer = await request(socket, 'get', '/buffer')
    t.same(buffer.body, Buffer.from('bytes'), 'an octet-stream reply reaches the socket as bytes')
    t.equal(buffer.headers['content-length'], '5')
    const head = await request(socket, 'head', '/json')
    t.equal(head.statusCode, 200)
    t.equal(head.body, undefined)
    const gone = await request(socket, 'delete', '/gone')
    t.equal(gone.statusCode, 204)
    t.equal(gone.body, undefined)
    const raw = await request(socket, 'get', '/raw')
    t.equal(raw.statusCode, 201)
    t.equal(raw.body, 'raw')
    t.equal(raw.headers['x-raw'], 'yes')
  })

  t.test(`${dispatch}: a stream that fails mid-answer gives the socket a coded 500, and the process lives`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/broken', async (request, reply) => {
        const body = new Readable({ read () {} })
        body.push('partial')
        setTimeout(() => body.destroy(new Error('disk on fire')), 20)
        return reply.type('text/plain').send(body)
      })
      app.get('/after', async () => ({ alive: true }))
    })
    const socket = await connect(t, app)
    const broken = await request(socket, 'get', '/broken')
    t.equal(broken.statusCode, 500)
    t.match(broken.body, { code: 'FST_SOCKETS_DISPATCH_FAILED' })
    const after = await request(socket, 'get', '/after')
    t.same(after.body, { alive: true })
  })

  t.test(`${dispatch}: a raw response destroyed or written after its end: one coded answer, no crash`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/destroyed', (request, reply) => {
        reply.hijack()
        reply.raw.destroy(new Error('gone'))
      })
      app.get('/late', (request, reply) => {
        reply.hijack()
        reply.raw.end('done')
        reply.raw.write('too late')
      })
      app.get('/after', async () => ({ alive: true }))
    })
    const socket = await connect(t, app)
    const destroyed = await request(socket, 'get', '/destroyed')
    t.equal(destroyed.statusCode, 500)
    t.match(destroyed.body, { code: 'FST_SOCKETS_DISPATCH_FAILED' })
    const late = await request(socket, 'get', '/late')
    t.equal(late.statusCode, 200)
    t.same(late.body, Buffer.from('done'), 'no content type: bytes (RFC 9110 lets a recipient assume octet-stream)')
    t.same((await request(socket, 'get', '/after')).body, { alive: true })
  })

  t.test(`${dispatch}: headers: set-cookie hidden, arrays and onSend changes kept, Date present`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.addHook('onSend', async (request, reply, payload) => {
        reply.header('x-on-send', 'yes')
        return typeof payload === 'string' ? payload.replace('before', 'after') : payload
      })
      app.get('/h', async (request, reply) => {
        reply.header('set-cookie', ['a=1', 'b=2'])
        reply.header('x-multi', ['1', '2'])
        return { word: 'before' }
      })
    })
    const socket = await connect(t, app)
    const jwr = await request(socket, 'get', '/h')
    t.same(jwr.body, { word: 'after' })
    t.equal(jwr.headers['set-cookie'], undefined)
    t.same(jwr.headers['x-multi'], ['1', '2'])
    t.equal(jwr.headers['x-on-send'], 'yes')
    t.equal(jwr.headers['content-type'], 'application/json; charset=utf-8')
    t.ok(typeof jwr.headers.date === 'string' && !Number.isNaN(Date.parse(jwr.headers.date)), 'an HTTP date')
  })

  t.test(`${dispatch}: trailers reach the JWR as headers (a socket answer arrives whole)`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/trailed', async (_request, reply) => {
        reply.trailer('x-digest', async () => 'sha-256=abc')
        return reply.type('text/plain').send('body')
      })
    })
    const socket = await connect(t, app)
    const jwr = await request(socket, 'get', '/trailed')
    t.same([jwr.statusCode, jwr.body, jwr.headers['x-digest'], jwr.headers.trailer], [200, 'body', 'sha-256=abc', 'x-digest'])
    const http = await app.inject('/trailed')
    t.equal(http.trailers['x-digest'], 'sha-256=abc', 'as HTTP gives it after the body')
  })

  t.test(`${dispatch}: concurrent requests on one socket each get their own answer`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => {
      app.get('/n/:n', async (request) => {
        const n = Number((request.params as { n: string }).n)
        await new Promise((resolve) => setTimeout(resolve, (n * 7) % 20))
        return { n }
      })
    })
    const socket = await connect(t, app)
    const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => request(socket, 'get', `/n/${n}`)))
    t.same(answers.map((jwr) => (jwr.body as { n: number }).n), Array.from({ length: 40 }, (_, n) => n))
  })

  t.test(`${dispatch}: an HTTP request to the same route is not a socket request`, async (t) => {
    const app = await buildApp(t, { dispatch }, (app) => { app.get('/who', async (request) => ({ isSocket: request.isSocket })) })
    const http = await app.inject({ method: 'GET', url: '/who' })
    t.same(http.json(), { isSocket: false })
    const socket = await connect(t, app)
    t.same((await request(socket, 'get', '/who')).body, { isSocket: true })
  })
}

// The lean pair's own members (with dispatch: 'inject' these are Node's, on light-my-request's null socket)
t.test('lean: raw response members: writeContinue, writeProcessing, writeHeader, pipe, request views', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    app.get('/raw', (request, reply) => {
      reply.hijack()
      const res = reply.raw
      const seen: string[] = [typeof request.raw.headersDistinct.host, JSON.stringify(request.raw.rawTrailers)]
      res.writeContinue(() => { seen.push('continue') })
      res.writeProcessing(() => { seen.push('processing') })
      setImmediate(() => {
        try { res.pipe(process.stdout) } catch (err) { seen.push((err as { code: string }).code) }
        (res as unknown as { writeHeader: typeof res.writeHead }).writeHeader(202, { 'content-type': 'application/json' })
        res.end(JSON.stringify(seen))
      })
    })
  })
  const socket = await connect(t, app)
  const jwr = await request(socket, 'get', '/raw')
  t.equal(jwr.statusCode, 202)
  t.same(jwr.body, ['object', '[]', 'continue', 'processing', 'ERR_STREAM_CANNOT_PIPE'], 'callbacks called; piping from a response throws as Node\'s emits')
})
