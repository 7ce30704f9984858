//! Client registrations, plans and members: the fixtures in `fixtures/` (embedded at build
//! time so the binary runs anywhere) plus generated members for load tests.

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::FixtureError;

const PLANS_TOML: &str = include_str!("../../fixtures/plans.toml");
const CLIENTS_TOML: &str = include_str!("../../fixtures/clients.toml");
const MEMBERS_TOML: &str = include_str!("../../fixtures/members.toml");
/// The public keys of the demo `private_key_jwt` client (its private halves are in the same
/// folder, for the harness: demo credentials like the secrets above).
pub const DEMO_CLIENT_JWKS: &str =
    include_str!("../../fixtures/client-keys/demo-asymmetric.jwks.json");
/// The JWK sets `jwks = "..."` in fixtures/clients.toml may name.
const EMBEDDED_JWKS: &[(&str, &str)] =
    &[("client-keys/demo-asymmetric.jwks.json", DEMO_CLIENT_JWKS)];

/// Which FHIR API a plan opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// Patient Access API: authorization code, patient context.
    PatientAccess,
    /// Provider Directory API: client credentials, system scopes.
    ProviderDirectory,
}

/// An OAuth grant type the token endpoint knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 4.1.
    AuthorizationCode,
    /// RFC 6749 4.4.
    ClientCredentials,
    /// RFC 6749 6.
    RefreshToken,
}

impl GrantType {
    /// The `grant_type` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
        }
    }
}

/// A subscription plan of the developer portal.
#[derive(Debug, Clone, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub api: Api,
    pub grant_type: GrantType,
    /// The scopes a token of this plan carries.
    pub scopes: Vec<String>,
    /// Scopes accepted in a request but not granted (see fixtures/plans.toml).
    #[serde(default)]
    pub tolerated_scopes: Vec<String>,
}

/// A registered client application: confidential, with a secret (`client_secret_basic`) or
/// a registered JWK set (`private_key_jwt`).
#[derive(Clone, Deserialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// Empty for a client that authenticates only with `private_key_jwt`.
    #[serde(default)]
    pub secret: String,
    /// The fixture file of its public keys (`private_key_jwt`).
    #[serde(default)]
    pub jwks: Option<String>,
    /// Plan id, or none when the app is subscribed to no plan.
    pub plan: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub redirect_uris: Vec<String>,
}

/// A member who can log in, with the patient record they own.
#[derive(Clone, Deserialize)]
pub struct Member {
    pub username: String,
    pub password: String,
    pub patient_id: String,
    /// Position in the member list; seeds the member's generated record.
    #[serde(skip)]
    pub index: u64,
}

// Secrets never reach `{:?}` output.
impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("plan", &self.plan)
            .field("grant_types", &self.grant_types)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("username", &self.username)
            .field("patient_id", &self.patient_id)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct PlansFile {
    plan: Vec<Plan>,
}
#[derive(Deserialize)]
struct ClientsFile {
    client: Vec<Client>,
}
#[derive(Deserialize)]
struct MembersFile {
    member: Vec<Member>,
}

/// Everything the server knows about clients, plans and members. Read-only after start.
#[derive(Debug)]
pub struct Registry {
    plans: HashMap<String, Plan>,
    clients: Vec<Client>,
    client_index: HashMap<String, usize>,
    members: Vec<Member>,
    by_username: HashMap<String, usize>,
    by_patient: HashMap<String, usize>,
    /// Each `private_key_jwt` client's registered keys.
    client_jwks: HashMap<String, serde_json::Value>,
}

/// The username and password of generated member `n` (1-based), for load tests.
pub fn generated_credentials(n: u64) -> (String, String) {
    (format!("member-{n:05}"), format!("member-{n:05}-pw"))
}

/// A stable UUID-shaped patient id for generated member `n` under `seed`.
pub fn generated_patient_id(seed: u64, n: u64) -> String {
    // splitmix64 twice: cheap, deterministic, well spread.
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let a = mix(seed ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let b = mix(a ^ n);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

impl Registry {
    /// The embedded fixtures plus `extra_members` generated members.
    pub fn load(seed: u64, extra_members: u64) -> Result<Registry, FixtureError> {
        let syntax = |file| move |source| FixtureError::Syntax { file, source };
        let plans: PlansFile = toml::from_str(PLANS_TOML).map_err(syntax("fixtures/plans.toml"))?;
        let clients: ClientsFile =
            toml::from_str(CLIENTS_TOML).map_err(syntax("fixtures/clients.toml"))?;
        let members: MembersFile =
            toml::from_str(MEMBERS_TOML).map_err(syntax("fixtures/members.toml"))?;
        let mut members = members.member;
        for n in 1..=extra_members {
            let (username, password) = generated_credentials(n);
            members.push(Member {
                username,
                password,
                patient_id: generated_patient_id(seed, n),
                index: 0,
            });
        }
        Registry::new(plans.plan, clients.client, members)
    }

    fn new(
        plans: Vec<Plan>,
        clients: Vec<Client>,
        mut members: Vec<Member>,
    ) -> Result<Registry, FixtureError> {
        let inconsistent = FixtureError::Inconsistent;
        let plans: HashMap<String, Plan> = plans.into_iter().map(|p| (p.id.clone(), p)).collect();
        let mut client_index = HashMap::new();
        let mut client_jwks = HashMap::new();
        for (i, c) in clients.iter().enumerate() {
            if let Some(file) = &c.jwks {
                let text = EMBEDDED_JWKS
                    .iter()
                    .find(|(name, _)| name == file)
                    .map(|(_, text)| *text)
                    .ok_or_else(|| {
                        inconsistent(format!("client {} names unknown jwks {file}", c.id))
                    })?;
                let keys = serde_json::from_str(text)
                    .map_err(|e| inconsistent(format!("jwks {file}: {e}")))?;
                client_jwks.insert(c.id.clone(), keys);
            } else if c.secret.is_empty() {
                return Err(inconsistent(format!(
                    "client {} has neither secret nor jwks",
                    c.id
                )));
            }
            if let Some(plan) = &c.plan
                && !plans.contains_key(plan)
            {
                return Err(inconsistent(format!(
                    "client {} names unknown plan {plan}",
                    c.id
                )));
            }
            if client_index.insert(c.id.clone(), i).is_some() {
                return Err(inconsistent(format!("client id {} registered twice", c.id)));
            }
        }
        let mut by_username = HashMap::with_capacity(members.len());
        let mut by_patient = HashMap::with_capacity(members.len());
        for (i, m) in members.iter_mut().enumerate() {
            m.index = i as u64;
            if by_username.insert(m.username.clone(), i).is_some() {
                return Err(inconsistent(format!("member {} listed twice", m.username)));
            }
            if by_patient.insert(m.patient_id.clone(), i).is_some() {
                return Err(inconsistent(format!(
                    "patient id {} owned twice",
                    m.patient_id
                )));
            }
        }
        Ok(Registry {
            plans,
            clients,
            client_index,
            members,
            by_username,
            by_patient,
            client_jwks,
        })
    }

    /// The registered JWK set of a `private_key_jwt` client.
    pub fn client_jwks(&self, id: &str) -> Option<&serde_json::Value> {
        self.client_jwks.get(id)
    }

    /// A client by id.
    pub fn client(&self, id: &str) -> Option<&Client> {
        self.client_index.get(id).map(|&i| &self.clients[i])
    }

    /// All clients, in fixture order.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// The plan a client is subscribed to, if any.
    pub fn plan_of(&self, client: &Client) -> Option<&Plan> {
        client.plan.as_deref().and_then(|p| self.plans.get(p))
    }

    /// The plan opening `api`.
    pub fn plan_for_api(&self, api: Api) -> Option<&Plan> {
        self.plans.values().find(|p| p.api == api)
    }

    /// A member by login name.
    pub fn member_by_username(&self, username: &str) -> Option<&Member> {
        self.by_username.get(username).map(|&i| &self.members[i])
    }

    /// The member owning a patient id.
    pub fn member_by_patient(&self, patient_id: &str) -> Option<&Member> {
        self.by_patient.get(patient_id).map(|&i| &self.members[i])
    }

    /// All members: the sandbox members first, then generated ones.
    pub fn members(&self) -> &[Member] {
        &self.members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_load_with_the_seed_002_members() {
        let r = Registry::load(1, 0).unwrap();
        let m = r.member_by_username("sbx-patientAccessMember-2").unwrap();
        assert_eq!(m.password, "hpTest22");
        assert_eq!(m.patient_id, "b5631ecf-b58c-48f5-87f0-b9988f41969b");
        let pa = r.client("patient-access-app").unwrap();
        assert!(pa.redirect_uris.iter().any(|u| u.ends_with('/')));
        assert!(pa.redirect_uris.iter().any(|u| !u.ends_with('/')));
        assert!(r.plan_of(r.client("no-plan-app").unwrap()).is_none());
        assert_eq!(
            r.plan_of(r.client("provider-directory-app").unwrap())
                .unwrap()
                .api,
            Api::ProviderDirectory
        );
    }

    #[test]
    fn debug_output_has_no_secrets() {
        let r = Registry::load(1, 0).unwrap();
        let text = format!("{r:?}");
        assert!(text.contains("patient-access-app"));
        for secret in ["pa-demo-secret-7f3c", "hpTest11"] {
            assert!(!text.contains(secret), "{secret} leaked into Debug");
        }
    }

    #[test]
    fn generated_members_are_stable_and_distinct() {
        let r = Registry::load(7, 1000).unwrap();
        assert_eq!(r.members().len(), 1003);
        assert_eq!(generated_patient_id(7, 5), generated_patient_id(7, 5));
        assert_ne!(generated_patient_id(7, 5), generated_patient_id(8, 5));
        let (u, p) = generated_credentials(12);
        assert_eq!(r.member_by_username(&u).unwrap().password, p);
    }
}
