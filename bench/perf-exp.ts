import { spawn } from 'node:child_process'
import { Child } from './rpc.js'
import type { ServerHello } from './server.js'
const kind = process.argv[2] ?? 'sockets'
const verb = process.argv[3] ?? 'get'
const path = verb === 'get' ? '/hello' : '/echo'
const { postBody } = await import('./shapes.js')
const srv = new Child<ServerHello>('srv', './server.ts', [kind], ['--perf-basic-prof', '--interpreted-frames-native-stack'])
const gen = new Child('gen', './load.ts', [])
const hello = await srv.ready; await gen.ready
await gen.call('connect', { url: `http://127.0.0.1:${hello.port}`, n: 50, parallel: 10, join: false })
await gen.call('roundtrip', { verb, url: path, data: verb === 'get' ? undefined : postBody(), durationMs: 3000 })
const perf = spawn('perf', ['record', '-F', '2999', '-g', '-o', `/tmp/perf-${kind}.data`, '-p', String(srv.proc.pid)], { stdio: 'inherit' })
await new Promise((r) => setTimeout(r, 300))
const c0 = await srv.call<{ user: number, system: number }>('cpu')
const r = await gen.call<{ count: number }>('roundtrip', { verb, url: path, data: verb === 'get' ? undefined : postBody(), durationMs: 4000 })
const c1 = await srv.call<{ user: number, system: number }>('cpu')
perf.kill('SIGINT'); await new Promise((res) => perf.once('exit', res))
console.log(kind, r.count, 'user/req', (c1.user - c0.user) / r.count, 'sys/req', (c1.system - c0.system) / r.count)
await srv.stop(); await gen.stop()
