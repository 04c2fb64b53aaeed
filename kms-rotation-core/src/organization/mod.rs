//! Whole organisations, built as KMS is: one client trait ([`OrgClient`],
//! with the AWS SDK's implementation in [`crate::aws`], one over your own
//! SDK's clients ([`TransportOrgClient`]) and one in memory
//! ([`MemoryOrganization`])), the engine under every call, and one
//! [`AccountDirectory`] above them; [`check_organization`] and
//! [`remediate_organization`] over it.

mod client;
mod directory;
mod memory;
mod operations;
mod options;
mod transport;

pub use client::{AccountRegion, OrgClient};
pub use directory::AccountDirectory;
pub use memory::{MemoryOrgTransport, MemoryOrganization};
pub use operations::{check_organization, remediate_organization};
pub(crate) use operations::{check_organization_in, remediate_organization_in};
pub(crate) use options::check_role_name_as;
pub use options::{
    AccountScope, CallerAccount, DEFAULT_MAX_ACCOUNTS_IN_FLIGHT, OrganizationOptions, RoleSession, check_account_id,
};
pub use transport::{OrganizationTransport, TransportOrgClient};
