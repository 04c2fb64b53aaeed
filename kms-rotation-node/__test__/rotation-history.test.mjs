// `rotationHistory` and the rotation-history policy rows against moto's server,
// through an AWS SDK for JavaScript v3 `KMS` client: keys rotated on demand
// (RotateKeyOnDemand) show their evidence (ListKeyRotations).
// Without KMS_ROTATION_MOTO_ENDPOINT these tests skip, except under CI, where they fail.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { KMS } from '@aws-sdk/client-kms'

import { checkAccount, remediate } from '../index.js'
import { assumeFreshAccount, motoEndpoint } from './helpers.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const REGION = 'us-east-1'

async function seed(kms) {
  const keys = {}
  for (const [alias, rotations, extra] of [
    ['alias/rotated-twice', 2, {}],
    ['alias/never-rotated', 0, {}],
    ['alias/imported', 0, { Origin: 'EXTERNAL' }],
  ]) {
    const keyId = (await kms.createKey({ Description: alias, ...extra })).KeyMetadata.KeyId
    await kms.createAlias({ AliasName: alias, TargetKeyId: keyId })
    if (!extra.Origin) await kms.enableKeyRotation({ KeyId: keyId, RotationPeriodInDays: 365 })
    for (let n = 0; n < rotations; n++) await kms.rotateKeyOnDemand({ KeyId: keyId })
    keys[alias] = keyId
  }
  return keys
}

const byAlias = (report, alias) => report.findings.find((f) => f.aliases.includes(alias))

describe('rotation history through an SDK v3 client on the emulator', () => {
  it('shows the evidence only when asked, and the policy rows decide with it', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const account = await assumeFreshAccount(endpoint)
    const kms = new KMS({ region: REGION, endpoint, credentials: account.credentials, maxAttempts: 1 })
    const keys = await seed(kms)

    const plain = await checkAccount({ client: kms })
    assert.equal(plain.toJSON().stats.api_calls.ListKeyRotations, undefined)
    const report = await checkAccount({ client: kms, rotationHistory: true })
    assert.equal(report.toJSON().stats.api_calls.ListKeyRotations, 3)
    const twice = byAlias(report, 'alias/rotated-twice').rotation
    assert.deepEqual(twice.rotation_counts, { automatic: 0, on_demand: 2 })
    assert.equal(twice.last_rotation_type, 'ON_DEMAND')
    assert.ok(twice.last_rotated_at)
    assert.equal(byAlias(report, 'alias/never-rotated').rotation.last_rotated_at, undefined)
    assert.deepEqual(
      report.findings.map((f) => [f.key_id, f.status, f.reason]),
      plain.findings.map((f) => [f.key_id, f.status, f.reason]),
    )

    const judged = await checkAccount({ client: kms, maxDaysSinceRotation: 30, acceptOnDemandRotation: true })
    assert.deepEqual(
      [byAlias(judged, 'alias/imported').status, byAlias(judged, 'alias/imported').reason],
      ['PASS', 'created_within_window'],
    )
    assert.equal(byAlias(judged, 'alias/rotated-twice').status, 'PASS')
    await assert.rejects(checkAccount({ client: kms, maxDaysSinceRotation: 2561 }), /maxDaysSinceRotation|max_days_since_rotation/)

    // A report judged overdue: skipped without rotateOnDemand, rotated and verified with it.
    const document = judged.toJSON()
    for (const finding of document.findings) {
      if (finding.aliases.includes('alias/never-rotated')) Object.assign(finding, { status: 'FAIL', reason: 'rotation_overdue' })
    }
    const skipped = await remediate(JSON.stringify(document), { client: kms, dryRun: false })
    assert.equal(skipped.actions[0].outcome, 'SKIPPED')
    assert.match(skipped.actions[0].message, /rotate-key-on-demand/)
    const rotated = await remediate(JSON.stringify(document), { client: kms, dryRun: false, rotateOnDemand: true })
    assert.deepEqual([rotated.actions[0].outcome, rotated.actions[0].verified], ['CHANGED', true])
    const listed = await kms.listKeyRotations({ KeyId: keys['alias/never-rotated'] })
    assert.deepEqual(listed.Rotations.map((r) => r.RotationType), ['ON_DEMAND'])
  })
})
