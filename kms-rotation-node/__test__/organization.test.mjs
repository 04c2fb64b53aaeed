// Whole organisations against moto's server: an organisation (a management
// account, two members, a suspended account) built with raw Organizations and
// STS requests, checked with checkOrganization through the built-in Rust client;
// the package's command line (bin/kms-rotation.js) gives the same report. Without KMS_ROTATION_MOTO_ENDPOINT
// this skips, except under CI, where it fails.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { KMS } from '@aws-sdk/client-kms'

import { checkOrganization, remediateOrganization } from '../index.js'
import { canonical, createOrganization, motoEndpoint, rejectsWith } from './helpers.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const REGION = 'us-east-1'
const ROLE = 'KmsRotationAudit'
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'kms-rotation.js')

/** Keys in an account: rotation on (PASS), off (FAIL). */
async function seed(endpoint, credentials) {
  const kms = new KMS({ region: REGION, endpoint, credentials, maxAttempts: 1 })
  const on = (await kms.createKey({})).KeyMetadata.KeyId
  await kms.enableKeyRotation({ KeyId: on })
  const off = (await kms.createKey({})).KeyMetadata.KeyId
  return { kms, on, off }
}

describe('checkOrganization on moto', () => {
  it('checks every account, skips the suspended one, and the CLI agrees', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const org = await createOrganization(endpoint, ['node-a', 'node-b', 'node-closed'], { closed: 1 })
    const { admin, members } = org
    const keys = { [org.management]: await seed(endpoint, admin) }
    for (const member of members.slice(0, 2)) {
      keys[member] = await seed(endpoint, await org.member(member))
    }

    const options = {
      endpointUrl: endpoint,
      regions: [REGION],
      credentials: admin,
      organization: true,
      roleName: ROLE,
      maxAccountsInFlight: 2,
    }
    const events = []
    const report = await checkOrganization({ ...options, onProgress: (e) => events.push(e) })
    const states = Object.fromEntries(report.accounts.map((a) => [a.account_id, a.state]))
    assert.deepEqual(states, {
      [org.management]: 'checked',
      [members[0]]: 'checked',
      [members[1]]: 'checked',
      [members[2]]: 'skipped',
    })
    for (const [account, { on, off }] of Object.entries(keys)) {
      const verdict = (id) => {
        const f = report.findings.find((f) => f.key_id === id)
        assert.equal(f.account_id, account)
        return [f.status, f.reason]
      }
      assert.deepEqual(verdict(on), ['PASS', 'rotation_enabled'])
      assert.deepEqual(verdict(off), ['FAIL', 'rotation_disabled'])
    }
    assert.equal(report.exitCode(), 2)
    assert.deepEqual(report.account_summary, { total: 4, checked: 3, skipped: 1, error: 0 })
    assert.match(report.render('csv').split('\n')[0], /^account_id,/)
    for (let i = 0; i < 20 && !events.some((e) => e.type === 'accountFinished' && e.accountId === members[0]); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    assert.ok(
      events.some((e) => e.type === 'accountFinished' && e.accountId === members[0] && e.state === 'checked'),
      JSON.stringify(events.map((e) => [e.type, e.accountId])),
    )
    assert.ok(events.some((e) => e.type === 'regionFinished' && e.accountId === members[1]))

    // The package's command line (its bin), on the same organisation, writes the same report.
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      AWS_SESSION_TOKEN: admin.sessionToken,
    }
    delete env.AWS_PROFILE
    let stdout
    try {
      const args = ['check', '--organization', '--role-name', ROLE, '--region', REGION, '--endpoint-url', endpoint, '--format', 'json']
      execFileSync(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      assert.fail('the CLI exits 2 when a key fails')
    } catch (error) {
      assert.equal(error.status, 2, String(error.stderr))
      stdout = String(error.stdout)
    }
    assert.deepEqual(canonical(JSON.parse(stdout)), canonical(report))

    const plan = await remediateOrganization(report, options)
    assert.ok(plan.actions.every((a) => a.outcome === 'WOULD_CHANGE'))
    assert.deepEqual(new Set(plan.actions.map((a) => a.account_id)), new Set(Object.keys(keys)))
    const done = await remediateOrganization(JSON.stringify(report), { ...options, dryRun: false })
    assert.equal(done.exitCode(), 0)
    for (const { kms, off } of Object.values(keys)) {
      assert.equal((await kms.getKeyRotationStatus({ KeyId: off })).KeyRotationEnabled, true)
    }
  })

  it('refuses bad organisation options before any call', async () => {
    await rejectsWith(checkOrganization({ organization: true, roleName: ROLE, includeAccounts: ['12'] }), 'INVALID_INPUT', /12/)
    await rejectsWith(checkOrganization({ organization: true }), 'INVALID_INPUT', /roleName/)
  })
})
