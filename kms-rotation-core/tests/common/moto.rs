//! Accounts on moto's server: a session acting in any account, and a fresh
//! management account with an organisation.

use kms_rotation_core::StaticCredentials;
use kms_rotation_core::aws::{self, AwsOptions, AwsSession};

use super::fresh_account_id;

const R1: &str = "us-east-1";

/// A session acting in `account` (moto: assume any role there).
pub async fn session_in(endpoint: &str, account: &str) -> AwsSession {
    let options = AwsOptions::default()
        .with_static_credentials("testing", "testing", None)
        .with_endpoint_url(endpoint)
        .unwrap()
        .with_regions([R1])
        .unwrap()
        .with_role(&format!("arn:aws:iam::{account}:role/Seeder"), None, None)
        .unwrap();
    AwsSession::connect(&options).await.unwrap()
}

/// A fresh management account (isolated from other tests by its id) with an
/// organisation: its id, the caller's credentials there (an admin role), and
/// its Organizations client.
pub async fn management_account(endpoint: &str) -> (String, StaticCredentials, aws_sdk_organizations::Client) {
    let management = fresh_account_id();
    let bootstrap = session_in(endpoint, &management).await;
    let admin = kms_rotation_core::OrgClient::assume_role(
        &aws::AwsOrgClient::new(&bootstrap),
        &kms_rotation_core::RoleSession::new(
            format!("arn:aws:iam::{management}:role/Admin"),
            None,
            Some("tests".to_owned()),
        ),
    )
    .await
    .unwrap();
    let orgs = aws_sdk_organizations::Client::new(bootstrap.sdk_config());
    orgs.create_organization().send().await.unwrap();
    let credentials = StaticCredentials {
        access_key_id: admin.access_key_id,
        secret_access_key: admin.secret_access_key,
        session_token: Some(admin.session_token),
    };
    (management, credentials, orgs)
}

/// `keys` symmetric keys in `kms`'s account and Region, aliased `alias/k1`,
/// `alias/k2`, …; the odd ones with rotation on.
pub async fn seed(kms: &aws_sdk_kms::Client, keys: u32) {
    for n in 1..=keys {
        let id = kms.create_key().send().await.unwrap().key_metadata.unwrap().key_id;
        kms.create_alias()
            .alias_name(format!("alias/k{n}"))
            .target_key_id(&id)
            .send()
            .await
            .unwrap();
        if n % 2 == 1 {
            kms.enable_key_rotation().key_id(&id).send().await.unwrap();
        }
    }
}
