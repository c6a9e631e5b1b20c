import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Runs `test/fixtures/<name>` in its own Node process and resolves when it exits: a process that leaves a
 * handle open never exits, so it is killed after 20 s and `code` is null.
 */
export async function runFixture (name: string, args: string[] = []): Promise<{ code: number | null, output: string, ms: number }> {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
  const started = Date.now()
  // Not measured for coverage (@tapjs/processinfo's documented switch): the fixture compiles lib/ with another
  // loader (tsx) than the test run, and tap merges the coverage of every process by file, which for two
  // different compilations of one file marks covered lines as missed.
  const env = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(killer)
  return { code, output, ms: Date.now() - started }
}
