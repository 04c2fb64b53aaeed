// Imported key material, last use and ignored record fields through the Node door:
// the snapshot of examples/data/key-material.json (its SDK v3-shaped fake), and an
// AWS SDK for JavaScript v3 `KMS` client on moto's server behind the fault proxy,
// which answers what moto lacks (the IncludeKeyMaterial listing, ValidTo,
// GetKeyLastUsage) and records every request.
// Without KMS_ROTATION_MOTO_ENDPOINT the moto test skips, except under CI, where it fails.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

import { KMS } from '@aws-sdk/client-kms'

import { Snapshot, checkAccount, loadSnapshot, remediate } from '../index.js'
import { assumeFreshAccount, faultProxy, motoEndpoint } from './helpers.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const here = dirname(fileURLToPath(import.meta.url))
const FILE = join(here, '..', '..', 'examples', 'data', 'key-material.json')
const PENDING_ARN = 'arn:aws:kms:us-east-1:111122223333:key/00000021-0000-4000-8000-000000000021'
const REGION = 'us-east-1'

const byAlias = (report, alias) => report.findings.find((f) => f.aliases.includes(alias))

function withExpiry(days) {
  const document = JSON.parse(readFileSync(FILE, 'utf8'))
  const validTo = Math.floor(Date.now() / 1000) + days * 86_400 + 3_600
  for (const key of document.regions[REGION].keys) {
    if (key.Aliases[0] === 'alias/imported-expiring') {
      key.KeyMetadata.ValidTo = validTo
      key.Rotations[0].ValidTo = validTo
    }
  }
  return Snapshot.fromJson(JSON.stringify(document))
}

describe('imported key material through the snapshot', () => {
  it('fails a pending rotation with the command, and remediation completes it only when asked', async () => {
    const snapshot = loadSnapshot(FILE)
    const report = await checkAccount({ client: snapshot, maxDaysSinceRotation: 365 })
    const pending = byAlias(report, 'alias/imported-pending')
    assert.deepEqual([pending.status, pending.reason], ['FAIL', 'rotation_pending'])
    assert.ok(pending.message.includes(`aws kms rotate-key-on-demand --key-id ${PENDING_ARN} --region us-east-1`))
    assert.equal(pending.key_material.pending_state, 'PENDING_ROTATION')
    const skipped = await remediate(report, { client: snapshot, dryRun: false })
    assert.equal(skipped.actions.find((a) => a.target_arn === PENDING_ARN).outcome, 'SKIPPED')
    const done = await remediate(report, { client: snapshot, dryRun: false, rotateOnDemand: true })
    const action = done.actions.find((a) => a.target_arn === PENDING_ARN)
    assert.deepEqual([action.outcome, action.verified], ['CHANGED', true], action.message)
  })

  it('names expiring material in the finding and the formats, without changing the verdict', async () => {
    const snapshot = withExpiry(10)
    const report = await checkAccount({ client: snapshot })
    const expiring = byAlias(report, 'alias/imported-expiring')
    assert.equal(expiring.status, 'NOT_APPLICABLE')
    assert.equal(expiring.key_material.expires_in_days, 10)
    assert.ok(expiring.message.includes('(in 10 days)'), expiring.message)
    assert.ok(report.render('html').includes('(in 10 days)'))
    const quiet = await checkAccount({ client: snapshot, materialExpiryWarningDays: 5 })
    assert.equal(byAlias(quiet, 'alias/imported-expiring').key_material.expires_in_days, undefined)
    await assert.rejects(checkAccount({ client: snapshot, materialExpiryWarningDays: 4000 }), /materialExpiryWarningDays/)
  })

  it('reads the last use only with the option, for failing keys, most recently used first', async () => {
    const snapshot = loadSnapshot(FILE)
    const calls = []
    const fake = snapshot.kmsClient(REGION)
    const client = new Proxy(fake, {
      get(target, name) {
        const value = target[name]
        if (typeof value !== 'function') return value
        return (input) => {
          calls.push(name)
          return value.call(target, input)
        }
      },
    })
    const plain = await checkAccount({ client })
    assert.equal(calls.filter((c) => c === 'getKeyLastUsage').length, 0)
    assert.ok(plain.findings.every((f) => f.last_usage === null))
    calls.length = 0
    const report = await checkAccount({ client, lastUsage: true })
    const failing = report.findings.filter((f) => f.status === 'FAIL' || f.status === 'ERROR')
    assert.equal(calls.filter((c) => c === 'getKeyLastUsage').length, failing.length)
    assert.equal(failing.length, 2)
    assert.equal(byAlias(report, 'alias/busy-rotation-off').last_usage.operation, 'Decrypt')
    const page = report.render('markdown')
    assert.ok(page.indexOf('busy-rotation-off') < page.indexOf('unused-rotation-off'))
    // The snapshot itself (its SDK-shaped fake answers in the API's shape, which has no notes).
    const odd = byAlias(await checkAccount({ client: snapshot }), 'alias/odd-record')
    assert.equal(odd.status, 'PASS')
    assert.equal(odd.ignored.length, 2)
  })
})

describe('imported key material and last use on the emulator', () => {
  it('fails a pending rotation, names the expiry, and calls GetKeyLastUsage only when asked', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const account = await assumeFreshAccount(endpoint)
    const direct = new KMS({ region: REGION, endpoint, credentials: account.credentials, maxAttempts: 1 })
    const imported = (await direct.createKey({ Origin: 'EXTERNAL' })).KeyMetadata.KeyId
    await direct.createAlias({ AliasName: 'alias/imported', TargetKeyId: imported })
    const off = (await direct.createKey({})).KeyMetadata.KeyId
    await direct.createAlias({ AliasName: 'alias/off', TargetKeyId: off })
    const proxy = await faultProxy(endpoint)
    t.after(() => proxy.stop())
    const now = Math.floor(Date.now() / 1000)
    const kms = new KMS({ region: REGION, endpoint: proxy.url, credentials: account.credentials, maxAttempts: 1 })
    const faults = [
      {
        op: 'DescribeKey',
        action: 'merge',
        key: imported,
        value: { KeyMetadata: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: now + 3 * 86_400 } },
      },
      {
        op: 'ListKeyRotations',
        action: 'answer',
        key: imported,
        body: {
          Rotations: [
            { KeyId: imported, KeyMaterialId: 'm1', ImportState: 'IMPORTED', KeyMaterialState: 'CURRENT' },
            { KeyId: imported, KeyMaterialId: 'm2', ImportState: 'IMPORTED', KeyMaterialState: 'PENDING_ROTATION' },
          ],
          Truncated: false,
        },
      },
      { op: 'GetKeyLastUsage', action: 'last_usage', key: off, operation: 'Encrypt', timestamp: now - 60 },
      { op: 'GetKeyLastUsage', action: 'last_usage', key: imported, tracking_start_date: now - 86_400 },
    ]
    for (const asked of [false, true]) {
      await proxy.set(faults)
      const report = await checkAccount({ client: kms, maxDaysSinceRotation: 365, lastUsage: asked })
      const pending = byAlias(report, 'alias/imported')
      assert.deepEqual([pending.status, pending.reason], ['FAIL', 'rotation_pending'], pending.message)
      assert.ok(pending.message.includes('aws kms rotate-key-on-demand --key-id'))
      assert.ok(pending.message.includes('expires on'), pending.message)
      const seen = await (await fetch(`${proxy.url}/__calls`)).json()
      assert.equal(seen.filter((c) => c.op === 'GetKeyLastUsage').length, asked ? 2 : 0)
      const listing = seen.find((c) => c.op === 'ListKeyRotations' && c.key === imported)
      assert.equal(listing.include, 'ALL_KEY_MATERIAL')
      if (asked) assert.equal(byAlias(report, 'alias/off').last_usage.operation, 'Encrypt')
    }
  })
})
