import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { RedisServer, redisSkipReason } from './helpers/redis.js'

// A plugin registration that fails leaves nothing open: the process exits by itself.
async function run (args: string[]): Promise<{ code: number | null, output: string }> {
  const script = fileURLToPath(new URL('./fixtures/failed-registration.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(killer)
  return { code, output }
}

t.test('single process: a failed registration exits by itself', async (t) => {
  const { code, output } = await run([])
  t.match(output, /refused: FST_ERR_DEC_ALREADY_PRESENT/)
  t.equal(code, 0, `exited by itself (${output.trim()})`)
})

const skip = redisSkipReason()
t.test('cluster: a failed registration closes the Redis clients it created', { skip }, async (t) => {
  const redis = await RedisServer.start(t)
  const { code, output } = await run([`redis://127.0.0.1:${redis.port}`])
  t.match(output, /refused: FST_ERR_DEC_ALREADY_PRESENT/)
  t.equal(code, 0, `exited by itself (${output.trim()})`)
})
