// Findings kept current in Security Hub through an AWS SDK v3 SecurityHub client
// (`toSecurityHub`), on moto's server behind the fault proxy: the shared steps of
// scripts/parity/security-hub.json, which the CLI and Python run too.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

import { KMS } from '@aws-sdk/client-kms'
import { SecurityHub } from '@aws-sdk/client-securityhub'

import { checkAccount, loadSnapshot } from '../index.js'
import { DEMO, assumeFreshAccount, faultProxy, motoEndpoint, rejectsWith } from './helpers.mjs'

const CASES = JSON.parse(readFileSync(new URL('../../scripts/parity/security-hub.json', import.meta.url), 'utf8'))
const REGION = CASES.region

/** Every finding the account's Security Hub holds, by Id. */
async function held(hub) {
  const all = {}
  let NextToken
  do {
    const page = await hub.getFindings({ MaxResults: 100, NextToken })
    for (const finding of page.Findings ?? []) all[finding.Id] = finding
    NextToken = page.NextToken || undefined
  } while (NextToken)
  return all
}

describe('Security Hub through an SDK v3 client on moto (scripts/parity/security-hub.json)', () => {
  it('runs every shared step with the same outcome', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const { accountId, credentials } = await assumeFreshAccount(endpoint)
    const proxy = await faultProxy(endpoint)
    t.after(() => proxy.stop())
    const direct = { region: REGION, endpoint, credentials }
    // The SDK's own retries off: what recovers is the library's one retry layer.
    const through = { region: REGION, endpoint: proxy.url, credentials, maxAttempts: 1 }
    const seeder = new KMS(direct)
    const keys = {}
    for (const name of ['on', 'off']) {
      keys[name] = (await seeder.createKey({})).KeyMetadata.KeyId
      if (name === 'on') await seeder.enableKeyRotation({ KeyId: keys[name] })
    }
    const reader = new SecurityHub(direct)
    const vanished = JSON.parse(JSON.stringify(CASES.vanished_finding).replaceAll('ACCOUNT', accountId))
    assert.equal((await reader.batchImportFindings({ Findings: [vanished] })).FailedCount, 0)
    const idOf = (name) =>
      keys[name] ? `kms-rotation/${REGION}/arn:aws:kms:${REGION}:${accountId}:key/${keys[name]}/kms_key_rotation` : vanished.Id

    for (const step of CASES.steps) {
      if (step.enable_rotation) await seeder.enableKeyRotation({ KeyId: keys[step.enable_rotation] })
      await proxy.set(step.faults)
      const report = await checkAccount({
        client: new KMS(through),
        toSecurityHub: new SecurityHub(through),
      })
      const delivery = { ...report.security_hub, failed: report.security_hub.failed.map((f) => f.code) }
      assert.deepEqual(delivery, step.expect.delivery, step.name)
      assert.deepEqual(report.toJSON().security_hub, report.security_hub, step.name)
      assert.equal(report.exitCode(), step.expect.exit_code, step.name)
      const findings = await held(reader)
      for (const [name, wanted] of Object.entries(step.expect.findings)) {
        const finding = findings[idOf(name)]
        assert.deepEqual(
          [finding.Compliance?.Status, finding.Workflow?.Status, finding.RecordState],
          wanted,
          `${step.name}: ${name}`,
        )
      }
      const updates = (await proxy.calls())
        .filter((call) => call.op === 'BatchUpdateFindings')
        .map((call) => [call.ids.map((id) => Object.keys(keys).find((name) => idOf(name) === id)), call.workflow])
      assert.deepEqual(updates, step.expect.workflow_updates, step.name)
    }
  })

  it('names a toSecurityHub that is no Security Hub client', async () => {
    const client = loadSnapshot(DEMO)
    await rejectsWith(checkAccount({ client, toSecurityHub: { config: { region: REGION } } }), 'INVALID_INPUT', /toSecurityHub/)
    await rejectsWith(checkAccount({ client, toSecurityHub: 'yes' }), 'INVALID_INPUT', /toSecurityHub/)
    // The built-in client goes with the built-in AWS source, not with a snapshot.
    await rejectsWith(checkAccount({ client, toSecurityHub: true }), 'INVALID_INPUT', /toSecurityHub/)
    const report = await checkAccount({ client, toSecurityHub: false })
    assert.equal(report.security_hub, null)
  })
})
