// The credential guarantee in Node: canary credentials from every source the
// built-in client takes them from (the environment, a profile, a working and a
// failing credential_process, one failing only on the SDK's refresh, an assumed
// role, an endpoint echoing the request's headers, an organisation run) and from
// an injected SDK v3 client, each run in a child process with `onCall` collecting
// every API attempt, and the package's command line with RUST_LOG=trace and
// --verbose: no canary in the child's stdout or stderr (where the core writes), in
// onCall's records, in reports or in error messages. Without
// KMS_ROTATION_MOTO_ENDPOINT this skips, except under CI, where it fails.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import { createOrganization, faultProxy, freshAccountId, motoEndpoint } from './helpers.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const here = dirname(fileURLToPath(import.meta.url))
const INDEX = join(here, '..', 'index.js')
const BIN = join(here, '..', 'bin', 'kms-rotation.js')
const REGION = 'us-east-1'
const KEY_ID = 'AKIACANARYNODEJS0001'
const SECRET = 'CanaryNodeSecret/0001+wJalrXUtnFEMIK7MDENG'
const TOKEN = 'CanaryNodeToken/0001+FQoGZXIvYXdzEXAMPLEtoken=='
const PROCESS_KEY_ID = 'ASIACANARYNODEPROC02'
const PROCESS_SECRET = 'CanaryNodeProcessSecret/0002+bPxRfiCYEXAMPLE'
const PROCESS_TOKEN = 'CanaryNodeProcessToken/0002+IQoJb3JpZ2luEXAMPLE=='
const STDERR_SECRET = 'CanaryNodeStderrSecret/0003+whatTheProcessFailedToReturn'
const ROLE_SECRET = 'CanaryNodeRoleSecret/0004+AssumedRoleEXAMPLE'
const ROLE_TOKEN = 'CanaryNodeRoleToken/0004+AssumedRoleSessionEXAMPLE=='
const ROLE_CREDENTIALS = { op: 'AssumeRole', action: 'credentials', SecretAccessKey: ROLE_SECRET, SessionToken: ROLE_TOKEN }
const OURS = [KEY_ID, SECRET, TOKEN]
const ACCESS_KEY_ID = /(?<![A-Z0-9])A[KS]IA[A-Z0-9]{16}(?![A-Z0-9])/

const run = promisify(execFile)

/** The environment every child gets: no AWS settings but the profiles' files. */
function baseEnv(dir) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'RUST_LOG'))
  return {
    ...env,
    HOME: dir,
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  }
}

const canaryEnv = { AWS_ACCESS_KEY_ID: KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN }

function writeProfiles(dir) {
  const script = (name, body) => {
    const path = join(dir, name)
    writeFileSync(path, `#!/bin/sh\n${body}\n`)
    chmodSync(path, 0o755)
    return path
  }
  const document = JSON.stringify({ Version: 1, AccessKeyId: PROCESS_KEY_ID, SecretAccessKey: PROCESS_SECRET, SessionToken: PROCESS_TOKEN })
  const works = script('works.sh', `printf '%s' '${document}'`)
  const fails = script('fails.sh', `echo 'cannot log in; the secret was ${STDERR_SECRET}' >&2\nexit 1`)
  // Credentials the first time, refused on the SDK's own first call: a provider failing mid-run.
  const refresh = script(
    'refresh.sh',
    `if [ -e "$CANARY_STATE" ]; then echo 'refresh refused: ${STDERR_SECRET}' >&2; exit 1; fi\n: > "$CANARY_STATE"\nprintf '%s' '${document}'`,
  )
  writeFileSync(
    join(dir, 'config'),
    `[profile canary]\nregion = ${REGION}\n\n[profile process-works]\nregion = ${REGION}\ncredential_process = ${works}\n\n` +
      `[profile process-fails]\nregion = ${REGION}\ncredential_process = ${fails}\n\n` +
      `[profile process-refresh]\nregion = ${REGION}\ncredential_process = ${refresh}\n`,
  )
  writeFileSync(
    join(dir, 'credentials'),
    `[canary]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\naws_session_token = ${TOKEN}\n`,
  )
}

/**
 * Runs `call` (a function name of the package) with `options` in a child Node
 * process, with `onCall` collecting; the child prints the report (or the error)
 * and the calls. `client` makes an SDK v3 KMS client with those settings instead.
 */
async function inChild(env, call, options, client) {
  const program = `
    const kms = require(${JSON.stringify(INDEX)})
    const calls = []
    const options = { ...${JSON.stringify(options)}, onCall: (c) => calls.push(c) }
    const client = ${JSON.stringify(client ?? null)}
    if (client) { const { KMS } = require('@aws-sdk/client-kms'); options.client = new KMS(client) }
    kms[${JSON.stringify(call)}](options).then(
      (report) => console.log(JSON.stringify({ report: report.toJSON(), calls })),
      (error) => console.log(JSON.stringify({ error: { message: error.message, code: error.code, stack: error.stack }, calls })),
    )`
  const { stdout, stderr } = await run(process.execPath, ['-e', program], { env, cwd: join(here, '..'), timeout: 120000 })
  return { stdout, stderr, result: JSON.parse(stdout) }
}

function assertClean(text, canaries, what) {
  for (const canary of canaries) assert.ok(!text.includes(canary), `${what} holds ${canary}: ${text.slice(0, 2000)}`)
  assert.ok(!ACCESS_KEY_ID.test(text), `${what} holds an access key id: ${text.match(ACCESS_KEY_ID)}`)
}

describe('no canary credential reaches any output', () => {
  it('from every source, with onCall, and from the command line at trace', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const dir = mkdtempSync(join(tmpdir(), 'kms-rotation-node-canaries-'))
    const echo = await faultProxy(endpoint)
    const roles = await faultProxy(endpoint)
    try {
      writeProfiles(dir)
      await echo.set([{ op: '*', action: 'echo_headers' }])
      await roles.set([ROLE_CREDENTIALS])
      const org = await createOrganization(endpoint, ['canary-node'])
      const member = await org.member(org.members[0])
      const { KMS } = await import('@aws-sdk/client-kms')
      await new KMS({ region: REGION, endpoint, credentials: member, maxAttempts: 1 }).createKey({})
      const env = baseEnv(dir)
      const at = (url) => ({ endpointUrl: url, regions: [REGION] })
      const cases = [
        ['environment', { ...env, ...canaryEnv }, 'checkAccount', at(endpoint), OURS],
        ['profile', env, 'checkAccount', { ...at(endpoint), profile: 'canary' }, OURS],
        [
          'working credential_process',
          env,
          'checkAccount',
          { ...at(endpoint), profile: 'process-works' },
          [PROCESS_KEY_ID, PROCESS_SECRET, PROCESS_TOKEN],
        ],
        ['failing credential_process', env, 'checkAccount', { ...at(endpoint), profile: 'process-fails' }, [STDERR_SECRET], true],
        [
          'credential_process failing on refresh',
          { ...env, CANARY_STATE: join(dir, 'refreshed') },
          'checkAccount',
          { ...at(endpoint), profile: 'process-refresh' },
          [PROCESS_KEY_ID, PROCESS_SECRET, PROCESS_TOKEN, STDERR_SECRET],
        ],
        [
          'assumed role',
          { ...env, ...canaryEnv },
          'checkAccount',
          { ...at(roles.url), roleArn: `arn:aws:iam::${freshAccountId()}:role/KmsRotationAudit` },
          [...OURS, ROLE_SECRET, ROLE_TOKEN],
        ],
        ['endpoint echoing headers', { ...env, ...canaryEnv }, 'checkAccount', at(echo.url), OURS],
        [
          'organisation',
          env,
          'checkOrganization',
          { ...at(roles.url), credentials: org.admin, organization: true, roleName: 'KmsRotationAudit' },
          [org.admin.secretAccessKey, org.admin.sessionToken, ROLE_SECRET, ROLE_TOKEN],
        ],
      ]
      const results = await Promise.all(
        cases.map(async ([name, caseEnv, call, options, canaries, fails]) => {
          const { stdout, stderr, result } = await inChild(caseEnv, call, options)
          assert.equal(Boolean(result.error), Boolean(fails), `${name}: ${stdout.slice(0, 2000)}`)
          if (!fails) assert.ok(result.calls.length > 0, `${name}: onCall saw no API attempt`)
          assertClean(stdout, canaries, `${name}: stdout`)
          assertClean(stderr, canaries, `${name}: stderr`)
          return name
        }),
      )
      assert.equal(results.length, cases.length)

      // An injected SDK v3 client: its credentials are the user's, and none reaches our output.
      const client = { region: REGION, endpoint, credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN } }
      const injected = await inChild(env, 'checkAccount', {}, client)
      assert.ok(injected.result.report && injected.result.calls.length > 0, injected.stdout.slice(0, 2000))
      assertClean(injected.stdout + injected.stderr, OURS, 'injected client')

      // The package's command line at trace: the core's log, redacted, the wire dumps off.
      const output = join(dir, 'report.json')
      const args = [BIN, 'check', '--verbose', '--region', REGION, '--endpoint-url', echo.url, '--format', 'json', '--output', output]
      const cli = await run(process.execPath, args, { env: { ...env, ...canaryEnv, RUST_LOG: 'trace' }, timeout: 120000 }).catch((e) => e)
      assert.equal(cli.code ?? 0, 3, cli.stderr?.slice(-2000))
      assert.match(cli.stderr, / TRACE /)
      assert.match(cli.stderr, /kms_rotation::call/)
      assert.doesNotMatch(cli.stderr, /transmitting request/)
      for (const [what, text] of [
        ['stdout', cli.stdout],
        ['stderr', cli.stderr],
        ['output', readFileSync(output, 'utf8')],
      ]) {
        assertClean(text, OURS, `the command line's ${what}`)
      }
    } finally {
      echo.stop()
      roles.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
