import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * The environment of a fixture process: the test's, with coverage off. A fixture runs lib/ through tsx, not
 * through the TypeScript loader of the tests; V8 merges coverage by file, so its ranges, taken on other
 * generated code, would mark lines the tests do run as never run (and sink lib/'s figures under the bounds).
 */
export function fixtureEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  delete env.NODE_V8_COVERAGE
  return env
}

/**
 * Runs `test/fixtures/<name>` in its own Node process and resolves when it exits: a process that leaves a
 * handle open never exits, so it is killed after 20 s and `code` is null.
 */
export async function runFixture (name: string, args: string[] = []): Promise<{ code: number | null, output: string, ms: number }> {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
  const started = Date.now()
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: fixtureEnv() })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(killer)
  return { code, output, ms: Date.now() - started }
}
