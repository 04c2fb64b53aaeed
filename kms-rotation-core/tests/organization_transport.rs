//! Organisation runs through your own clients (`service_client_factory` in
//! Python and Node): an `AccountDirectory` over a `TransportOrgClient` over an `OrganizationTransport`
//! that answers STS, Organizations and Account in their JSON shapes, the way
//! boto3 and AWS SDK v3 clients do, with each account's KMS served from its
//! own snapshot. Checks the paging, the OU tree, the AWS codes of a refused
//! role and of a failed `ListRegions`, the credentials each account's KMS
//! client gets, and that credentials about to expire are renewed.

use std::collections::BTreeMap;
use std::sync::Mutex;

use kms_rotation_core::{
    AccountDirectory, AccountState, CheckOptions, ConnectionOptions, Operation, OrganizationOptions,
    OrganizationTransport, Outcome, Regions, RemediateOptions, RoleCredentials, Snapshot, SnapshotTransport, Timestamp,
    TransportError, async_trait,
};
use serde_json::{Value, json};

const CALLER: &str = "111122223333";
const MEMBER: &str = "444455556666";
const NO_ROLE: &str = "777788889999";
const CLOSED: &str = "222233334444";
const NO_REGIONS: &str = "555566667777";

/// The directory over `transport`, STS and Organizations called in us-east-1.
fn directory_over<T: OrganizationTransport>(transport: std::sync::Arc<T>, regions: Regions) -> AccountDirectory {
    let org = kms_rotation_core::TransportOrgClient::new(transport, "us-east-1").unwrap();
    AccountDirectory::new(std::sync::Arc::new(org), regions)
}

fn account(id: &str) -> Snapshot {
    let text = std::fs::read_to_string("../examples/data/demo-account.json")
        .unwrap()
        .replace("111122223333", id);
    Snapshot::from_json(&text).unwrap()
}

/// What the fake was asked: `(operation or "kms:<region>", the access key id used)`.
type Calls = Mutex<Vec<(String, Option<String>)>>;

#[derive(Debug)]
struct FakeOrganization {
    accounts: BTreeMap<String, (Snapshot, &'static str)>,
    /// How long the first credentials of each account last (later ones: an hour).
    first_lifetime: i64,
    assumed: Mutex<BTreeMap<String, u32>>,
    calls: Calls,
    /// An account listed without its `Id`.
    nameless: Option<&'static str>,
    /// Whether the OU tree loops back on itself.
    cycle: bool,
}

impl FakeOrganization {
    fn new(first_lifetime: i64) -> Self {
        let mut accounts = BTreeMap::new();
        for (id, state) in [
            (CALLER, "ACTIVE"),
            (MEMBER, "ACTIVE"),
            (NO_ROLE, "ACTIVE"),
            (CLOSED, "SUSPENDED"),
            (NO_REGIONS, "ACTIVE"),
        ] {
            accounts.insert(id.to_owned(), (account(id), state));
        }
        Self {
            accounts,
            first_lifetime,
            assumed: Mutex::default(),
            calls: Mutex::default(),
            nameless: None,
            cycle: false,
        }
    }

    fn calls(&self, what: &str) -> Vec<Option<String>> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(op, _)| op == what)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// The account acting: the caller's, or the one the credentials were issued in.
    fn account_of(credentials: Option<&RoleCredentials>) -> String {
        match credentials {
            None => CALLER.to_owned(),
            Some(c) => c.access_key_id.split('-').nth(1).unwrap().to_owned(),
        }
    }
}

#[async_trait]
impl OrganizationTransport for FakeOrganization {
    type Kms = SnapshotTransport;
    /// A client: its service, and the credentials it was made with.
    type Client = (&'static str, Option<RoleCredentials>);

    async fn client(
        &self,
        service: &'static str,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> Result<Self::Client, TransportError> {
        assert_eq!(
            region, "us-east-1",
            "STS, Organizations and Account go to the first region named"
        );
        self.calls.lock().unwrap().push((
            format!("{service}:{region}"),
            credentials.map(|c| c.access_key_id.clone()),
        ));
        Ok((service, credentials.cloned()))
    }

    async fn invoke(
        &self,
        (service, credentials): &Self::Client,
        operation: Operation,
        request: Value,
    ) -> Result<Value, TransportError> {
        assert_eq!(*service, operation.service().as_str());
        let credentials = credentials.as_ref();
        self.calls.lock().unwrap().push((
            operation.as_str().to_owned(),
            credentials.map(|c| c.access_key_id.clone()),
        ));
        match operation {
            Operation::GetCallerIdentity => {
                Ok(json!({"Account": CALLER, "Arn": format!("arn:aws:iam::{CALLER}:user/auditor")}))
            }
            Operation::ListAccounts => {
                // Two accounts a page; the account of a page's last entry is the next token.
                let ids: Vec<&String> = self.accounts.keys().collect();
                let start = match request.get("NextToken").and_then(Value::as_str) {
                    Some(token) => ids.iter().position(|id| id.as_str() == token).unwrap() + 1,
                    None => 0,
                };
                assert_eq!(request["MaxResults"], json!(20));
                let page: Vec<Value> = ids[start..]
                    .iter()
                    .take(2)
                    .map(|id| match self.nameless == Some(id.as_str()) {
                        true => json!({"Name": format!("account {id}"), "Status": self.accounts[*id].1}),
                        false => json!({"Id": id, "Name": format!("account {id}"), "Status": self.accounts[*id].1}),
                    })
                    .collect();
                let mut answer = json!({"Accounts": page});
                if start + 2 < ids.len() {
                    answer["NextToken"] = json!(ids[start + 1]);
                }
                Ok(answer)
            }
            Operation::AssumeRole => {
                let arn = request["RoleArn"].as_str().unwrap();
                assert_eq!(request["RoleSessionName"], json!("audit-run"));
                assert_eq!(request["ExternalId"], json!("ext-7"));
                let id = arn.split(':').nth(4).unwrap();
                if id == NO_ROLE {
                    return Err(TransportError::aws(
                        "AccessDenied",
                        format!("User is not authorized to perform: sts:AssumeRole on resource: {arn}"),
                    ));
                }
                let n = {
                    let mut assumed = self.assumed.lock().unwrap();
                    let n = assumed.entry(id.to_owned()).or_insert(0);
                    *n += 1;
                    *n
                };
                let lifetime = if n == 1 { self.first_lifetime } else { 3600 };
                let expires = Timestamp::from_epoch_seconds(Timestamp::now().epoch_seconds() + lifetime);
                Ok(json!({"Credentials": {
                    "AccessKeyId": format!("ASIA-{id}-{n}"),
                    "SecretAccessKey": format!("secret-{id}-{n}-abcdefgh"),
                    "SessionToken": format!("token-{id}-{n}-abcdefgh"),
                    "Expiration": expires.to_string(),
                }}))
            }
            Operation::ListRegions => {
                let id = Self::account_of(credentials);
                if id == NO_REGIONS {
                    return Err(TransportError::aws(
                        "AccessDeniedException",
                        "not authorized to perform: account:ListRegions",
                    ));
                }
                assert_eq!(
                    request["RegionOptStatusContains"],
                    json!(["ENABLED", "ENABLED_BY_DEFAULT"])
                );
                Ok(json!({"Regions": [
                    {"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
                    {"RegionName": "eu-west-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
                ]}))
            }
            // The OU tree: r-ab12 holds the caller and ou-a; ou-a holds the member
            // and ou-b; ou-b holds the account without a role, and (a cycle) ou-a again.
            Operation::ListAccountsForParent => {
                let ids: &[&str] = match request["ParentId"].as_str().unwrap() {
                    "r-ab12" => &[CALLER],
                    "ou-ab12-aaaaaaaa" => &[MEMBER],
                    "ou-ab12-bbbbbbbb" => &[NO_ROLE],
                    other => panic!("no parent {other}"),
                };
                let accounts: Vec<Value> = ids.iter().map(|id| json!({"Id": id, "Status": "ACTIVE"})).collect();
                Ok(json!({ "Accounts": accounts }))
            }
            Operation::ListOrganizationalUnitsForParent => {
                let units: &[&str] = match request["ParentId"].as_str().unwrap() {
                    "r-ab12" => &["ou-ab12-aaaaaaaa"],
                    "ou-ab12-aaaaaaaa" => &["ou-ab12-bbbbbbbb"],
                    "ou-ab12-bbbbbbbb" if self.cycle => &["ou-ab12-aaaaaaaa"],
                    _ => &[],
                };
                let units: Vec<Value> = units.iter().map(|id| json!({ "Id": id })).collect();
                Ok(json!({ "OrganizationalUnits": units }))
            }
            other => panic!("unexpected {other}"),
        }
    }

    fn kms_client(
        &self,
        region: &str,
        credentials: Option<&RoleCredentials>,
    ) -> kms_rotation_core::Result<SnapshotTransport> {
        self.calls
            .lock()
            .unwrap()
            .push((format!("kms:{region}"), credentials.map(|c| c.access_key_id.clone())));
        self.accounts[&Self::account_of(credentials)].0.transport(region)
    }
}

fn organization() -> OrganizationOptions {
    OrganizationOptions::default()
        .with_organization(true)
        .with_role_name("KmsRotationAudit")
        .with_external_id("ext-7")
        .with_session_name("audit-run")
}

#[tokio::test]
async fn every_account_through_your_clients_with_its_own_credentials() {
    let connection = ConnectionOptions::default()
        .with_regions(Regions::from_names(["us-east-1", "eu-west-1"]).unwrap())
        .with_organization(organization())
        .with_organization_transport(FakeOrganization::new(3600))
        .build()
        .unwrap();
    let report = connection.check_organization(&CheckOptions::default()).await.unwrap();
    let states: BTreeMap<&str, AccountState> = report
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.state))
        .collect();
    assert_eq!(states[CALLER], AccountState::Checked);
    assert_eq!(states[MEMBER], AccountState::Checked);
    assert_eq!(
        states[NO_REGIONS],
        AccountState::Checked,
        "regions named: no ListRegions"
    );
    assert_eq!(states[CLOSED], AccountState::Skipped);
    assert_eq!(states[NO_ROLE], AccountState::Error);
    let refused = report.account(NO_ROLE).unwrap().error.as_ref().unwrap();
    assert_eq!(
        (refused.code.as_str(), refused.operation.as_deref()),
        ("AccessDenied", Some("AssumeRole"))
    );
    assert_eq!(report.accounts.len(), 5, "every listed account, over three pages");
    // Each checked account's findings are its own keys, both regions.
    for id in [CALLER, MEMBER, NO_REGIONS] {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.account_id.as_deref() == Some(id))
            .collect();
        assert_eq!(findings.len(), 36, "{id}");
        assert!(findings.iter().all(|f| f.key_arn.contains(id)), "{id}");
    }
    assert_eq!(report.exit_code(), 2);
}

#[tokio::test]
async fn the_kms_clients_get_the_credentials_of_their_account() {
    let fake = std::sync::Arc::new(FakeOrganization::new(3600));
    let directory = directory_over(fake.clone(), Regions::from_names(["us-east-1"]).unwrap());
    let report = kms_rotation_core::check_organization(&directory, &organization(), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(report.account_summary.checked, 3);
    // The caller's own account with the caller's credentials, members with their role's.
    let used = fake.calls("kms:us-east-1");
    assert!(used.contains(&None));
    assert!(used.contains(&Some(format!("ASIA-{MEMBER}-1"))));
    assert_eq!(
        fake.calls("AssumeRole").len(),
        3,
        "member, no-role, no-regions: the caller is not assumed"
    );
    assert_eq!(fake.calls("ListAccounts").len(), 3, "five accounts, two a page");
    // One client per service, region and credentials, kept for the run.
    assert_eq!(fake.calls("organizations:us-east-1"), vec![None]);
    assert_eq!(
        fake.calls("sts:us-east-1"),
        vec![None],
        "AssumeRole and GetCallerIdentity share the caller's client"
    );
    assert!(fake.calls("ListAccounts").iter().all(Option::is_none));
}

#[tokio::test]
async fn credentials_about_to_expire_are_renewed_before_the_next_call() {
    // The first credentials of each account last four seconds: fresh when
    // the account's clients are made, past half their life two seconds later
    // (the renewal rule for credentials shorter-lived than twice
    // RENEW_BEFORE_EXPIRY), so the next KMS call assumes the role again.
    let lifetime = 4;
    let fake = std::sync::Arc::new(FakeOrganization::new(lifetime));
    let directory = directory_over(fake.clone(), Regions::from_names(["us-east-1"]).unwrap());
    let role = kms_rotation_core::RoleSession::new(
        format!("arn:aws:iam::{MEMBER}:role/KmsRotationAudit"),
        Some("ext-7".to_owned()),
        Some("audit-run".to_owned()),
    );
    let clients = directory
        .account_clients(Some(&role), None, &[kms_rotation_core::Operation::ListKeys])
        .await
        .unwrap();
    let kms = clients.get("us-east-1").unwrap();
    let first = kms.list_keys(None).await.unwrap();
    assert_eq!(fake.calls("AssumeRole").len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let again = kms.list_keys(None).await.unwrap();
    assert_eq!(first.items.len(), again.items.len());
    assert_eq!(
        fake.calls("AssumeRole").len(),
        2,
        "renewed once (the renewal lasts an hour)"
    );
    assert_eq!(
        fake.calls("kms:us-east-1"),
        vec![Some(format!("ASIA-{MEMBER}-1")), Some(format!("ASIA-{MEMBER}-2"))],
        "the client is remade with the renewed credentials"
    );
    kms.list_keys(None).await.unwrap();
    assert_eq!(fake.calls("AssumeRole").len(), 2, "fresh credentials are kept");
    // A region made on demand (a replica's primary) gets the account's latest credentials.
    clients.get("eu-west-1").unwrap();
    assert_eq!(fake.calls("kms:eu-west-1"), vec![Some(format!("ASIA-{MEMBER}-2"))]);
}

#[tokio::test]
async fn all_regions_are_listed_in_each_account_and_a_failed_listing_is_that_accounts_error() {
    let fake = std::sync::Arc::new(FakeOrganization::new(3600));
    let directory = directory_over(fake.clone(), Regions::All);
    let report = kms_rotation_core::check_organization(&directory, &organization(), &CheckOptions::default())
        .await
        .unwrap();
    let failed = report.account(NO_REGIONS).unwrap();
    assert_eq!(failed.state, AccountState::Error);
    let error = failed.error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.operation.as_deref()),
        ("AccessDeniedException", Some("ListRegions"))
    );
    let member = report.account(MEMBER).unwrap();
    assert_eq!(member.state, AccountState::Checked);
    let regions: Vec<&str> = member.regions.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);
    // ListRegions ran in each account with that account's credentials.
    assert!(fake.calls("ListRegions").contains(&Some(format!("ASIA-{MEMBER}-1"))));
    assert!(fake.calls("ListRegions").contains(&None));
    assert_ne!(report.exit_code(), 0);
}

#[tokio::test]
async fn remediation_lands_in_each_account_through_your_clients() {
    let fake = std::sync::Arc::new(FakeOrganization::new(3600));
    let directory = directory_over(fake.clone(), Regions::from_names(["us-east-1"]).unwrap());
    let options = organization().with_include_accounts([MEMBER]);
    let report = kms_rotation_core::check_organization(&directory, &options, &CheckOptions::default())
        .await
        .unwrap();
    let fixed = kms_rotation_core::remediate_organization(
        &directory,
        &report,
        &options,
        &RemediateOptions::default().with_dry_run(false),
    )
    .await
    .unwrap();
    let changed: Vec<_> = fixed.actions.iter().filter(|a| a.outcome == Outcome::Changed).collect();
    assert!(!changed.is_empty());
    assert!(fixed.actions.iter().all(|a| a.account_id.as_deref() == Some(MEMBER)));
    assert!(changed.iter().all(|a| a.verified), "{}", fixed.to_json());
    let member = &fake.accounts[MEMBER].0;
    let enabled = member
        .calls()
        .iter()
        .filter(|c| c.operation == kms_rotation_core::Operation::EnableKeyRotation)
        .count();
    assert_eq!(enabled, changed.len());
    assert!(
        fake.accounts[CALLER]
            .0
            .calls()
            .iter()
            .all(|c| c.operation != kms_rotation_core::Operation::EnableKeyRotation)
    );
}

#[tokio::test]
async fn an_account_listed_without_its_id_fails_the_listing_instead_of_vanishing() {
    let mut fake = FakeOrganization::new(3600);
    fake.nameless = Some(MEMBER);
    let directory = directory_over(std::sync::Arc::new(fake), Regions::from_names(["us-east-1"]).unwrap());
    let err = kms_rotation_core::check_organization(&directory, &organization(), &CheckOptions::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("ListAccounts") && text.contains("without its Id"),
        "{text}"
    );
}

#[tokio::test]
async fn an_organizational_unit_is_walked_level_by_level_and_a_loop_is_seen_once() {
    let under = |ou: &str| organization().with_organization(false).with_organizational_unit(ou);
    let regions = || Regions::from_names(["us-east-1"]).unwrap();
    let directory = directory_over(std::sync::Arc::new(FakeOrganization::new(3600)), regions());
    let ids = |report: &kms_rotation_core::OrganizationReport| -> Vec<String> {
        report.accounts.iter().map(|a| a.account_id.clone()).collect()
    };
    let all = kms_rotation_core::check_organization(&directory, &under("r-ab12"), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(ids(&all), [CALLER, MEMBER, NO_ROLE]);
    let below = kms_rotation_core::check_organization(&directory, &under("ou-ab12-aaaaaaaa"), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(ids(&below), [MEMBER, NO_ROLE]);
    let mut looping = FakeOrganization::new(3600);
    looping.cycle = true;
    let directory = directory_over(std::sync::Arc::new(looping), regions());
    let again = kms_rotation_core::check_organization(&directory, &under("r-ab12"), &CheckOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&again),
        [CALLER, MEMBER, NO_ROLE],
        "an OU seen again is not listed twice"
    );
}

#[tokio::test]
async fn a_connection_over_your_organisation_clients_checks_organisations_only() {
    let connection = ConnectionOptions::default()
        .with_regions(Regions::from_names(["us-east-1"]).unwrap())
        .with_organization(organization())
        .with_organization_transport(FakeOrganization::new(3600))
        .build()
        .unwrap();
    let err = connection.check_account(&CheckOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("check_organization"), "{err}");
}

#[test]
fn the_option_is_refused_without_an_organisation_and_with_aws_settings() {
    let err = ConnectionOptions::default()
        .with_regions(Regions::from_names(["us-east-1"]).unwrap())
        .with_organization_transport(FakeOrganization::new(3600))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("service_client_factory"), "{err}");
    let err = ConnectionOptions::default()
        .with_regions(Regions::from_names(["us-east-1"]).unwrap())
        .with_organization(organization())
        .with_profile("audit")
        .with_organization_transport(FakeOrganization::new(3600))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("profile"), "{err}");
    let err = ConnectionOptions::default()
        .with_organization(organization())
        .with_organization_transport(FakeOrganization::new(3600))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("regions"), "{err}");
}
