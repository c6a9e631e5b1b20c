import t from 'tap'
import { runFixture } from '../helpers/process.js'
import { RedisServer, redisSkipReason } from '../helpers/redis.js'

// A plugin registration that fails leaves nothing open: the process exits by itself.
const run = async (args: string[]) => await runFixture('failed-registration.ts', args)

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
