// Writes a snapshot of N keys (default 10,000) over four regions with every
// status, and report text that tries to break out of the page (an error
// message and an alias holding markup), to stress the HTML report.
// Usage: node big-snapshot.mjs OUT.json [N]
import { writeFileSync } from 'node:fs'

const [out, count = '10000'] = process.argv.slice(2)
const n = Number(count)
const account = '111122223333'
const regions = ['ap-southeast-2', 'eu-central-1', 'eu-west-1', 'us-east-1']
/** Markup that must show as text: if it ran, it would set window.__pwned. */
export const HOSTILE = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'

const snapshot = { account_id: account, regions: Object.fromEntries(regions.map((r) => [r, { keys: [] }])) }
for (let i = 0; i < n; i++) {
  const region = regions[i % regions.length]
  const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
  const arn = `arn:aws:kms:${region}:${account}:key/${id}`
  const kind = i % 10
  const meta = {
    AWSAccountId: account,
    KeyId: id,
    Arn: arn,
    CreationDate: '2024-01-01T00:00:00Z',
    Enabled: true,
    KeyUsage: kind === 7 ? 'SIGN_VERIFY' : 'ENCRYPT_DECRYPT',
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    KeySpec: kind === 7 ? 'RSA_2048' : 'SYMMETRIC_DEFAULT',
    MultiRegion: false,
  }
  // Tags read (none), as `collect` with the tag exemption records them: a key without
  // `Tags` would be ERROR under the exemption the report is rendered with.
  const entry = { KeyMetadata: meta, Aliases: [`alias/app-${i}`], Tags: [] }
  if (kind <= 4) entry.RotationStatus = { KeyRotationEnabled: true, RotationPeriodInDays: 365 }
  if (kind === 5 || kind === 6) entry.RotationStatus = { KeyRotationEnabled: false }
  if (kind === 8) {
    entry.Errors = { GetKeyRotationStatus: { Code: 'AccessDeniedException', Message: `denied ${HOSTILE}` } }
  }
  if (kind === 9) {
    entry.RotationStatus = { KeyRotationEnabled: false }
    entry.Tags = [{ TagKey: 'rotation-exempt', TagValue: 'true' }]
  }
  if (i === 5) entry.Aliases.push(`alias/x${HOSTILE}`)
  snapshot.regions[region].keys.push(entry)
}
writeFileSync(out, JSON.stringify(snapshot))
