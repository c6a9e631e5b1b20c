import Fastify from 'fastify'
import inject from 'light-my-request'
const app = Fastify()
app.get('/hello', async () => ({ hello: 'world' }))
const variant = process.argv[2] ?? 'lmr'
if (variant === 'hook') app.addHook('onRequest', async (request, reply) => { request.log = request.log.child({ socketId: 'abc' }); reply.log = request.log })
await app.ready()
const routing = app.routing
const kCtx = Symbol('ctx')
const ctx = { socket: { id: 'x' } }
function dispatch (this: unknown, req: any, res: any) { req[kCtx] = this; routing(req, res) }
const headers = { 'user-agent': undefined, host: '127.0.0.1:3000', accept: '*/*' } as any
function one (): Promise<void> {
  return new Promise((resolve, reject) => {
    inject(dispatch as never, { method: 'GET', url: '/hello', headers, payload: undefined, remoteAddress: '127.0.0.1', server: ctx as never, validate: false } as never, (err: any, res: any) => {
      if (err) reject(err); else { JSON.parse(res.payload); resolve() }
    })
  })
}
async function batch (n: number) { const ps = []; for (let i = 0; i < n; i++) ps.push(one()); await Promise.all(ps) }
for (let i = 0; i < 200; i++) await batch(50)
const c0 = process.cpuUsage(); const N = 400
for (let i = 0; i < N; i++) await batch(50)
const c1 = process.cpuUsage(c0)
console.log(variant, 'µs/req', ((c1.user + c1.system) / (N * 50)).toFixed(1))
