//! Which grants a client may use (seed 002: each plan has its flow, the Patient Access plan
//! the authorization code grant, the Provider Directory plan client credentials). One pure
//! rule, and beside it the variant each endpoint calls, bent by that endpoint's fault.

use crate::faults::{Fault, FaultSwitches};
use crate::registry::{Client, GrantType};

/// A client may use only the grants it registered for.
pub fn may_use(client: &Client, grant: GrantType) -> bool {
    client.grant_types.contains(&grant)
}

/// [`may_use`] for the authorization code grant, as the authorization endpoint applies it.
/// Fault `DirectoryAppAuthorizeAllowed`: the client's grants are only looked at by the token
/// endpoint, so any client may start an authorization.
pub fn may_authorize_with(client: &Client, faults: &FaultSwitches) -> bool {
    may_use(client, GrantType::AuthorizationCode) || faults.on(Fault::DirectoryAppAuthorizeAllowed)
}

/// [`may_use`] as the token endpoint applies it. Fault `ClientCredentialsForPatientApp`:
/// client credentials is open to every client that authenticates.
pub fn may_exchange_with(client: &Client, grant: GrantType, faults: &FaultSwitches) -> bool {
    may_use(client, grant)
        || (grant == GrantType::ClientCredentials
            && faults.on(Fault::ClientCredentialsForPatientApp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(grants: &[GrantType]) -> Client {
        Client {
            id: "c".into(),
            name: "C".into(),
            secret: "s".into(),
            jwks: None,
            plan: None,
            grant_types: grants.to_vec(),
            redirect_uris: vec![],
        }
    }

    #[test]
    fn a_client_uses_its_own_grants_and_each_fault_opens_only_its_own() {
        use GrantType::*;
        let patient_app = client(&[AuthorizationCode, RefreshToken]);
        let directory_app = client(&[ClientCredentials]);
        let clean = FaultSwitches::default();
        assert!(may_use(&patient_app, AuthorizationCode) && may_use(&patient_app, RefreshToken));
        assert!(!may_use(&patient_app, ClientCredentials));
        assert!(!may_use(&directory_app, AuthorizationCode));
        assert!(may_authorize_with(&patient_app, &clean));
        assert!(!may_authorize_with(&directory_app, &clean));
        for grant in [AuthorizationCode, ClientCredentials, RefreshToken] {
            for c in [&patient_app, &directory_app] {
                assert_eq!(may_exchange_with(c, grant, &clean), may_use(c, grant));
            }
        }

        let authorize = FaultSwitches::with(&[Fault::DirectoryAppAuthorizeAllowed]);
        assert!(may_authorize_with(&directory_app, &authorize));
        assert!(!may_exchange_with(
            &directory_app,
            AuthorizationCode,
            &authorize
        ));

        let exchange = FaultSwitches::with(&[Fault::ClientCredentialsForPatientApp]);
        assert!(may_exchange_with(
            &patient_app,
            ClientCredentials,
            &exchange
        ));
        assert!(!may_exchange_with(&directory_app, RefreshToken, &exchange));
        assert!(!may_authorize_with(&directory_app, &exchange));
    }
}
