//! Fault switches: realistic defects a vendor ships, each off by default, each naming the
//! requirement ids (`scenarios/requirements.toml`) it violates. They exist so that every
//! check of the suite can be shown to catch the defect it is for (`smartcheck selftest`).
//! Switched by `--fault NAME` (repeatable; `REFSERVER_FAULTS=a,b`), by the admin endpoint
//! (`--admin`: `GET`/`PUT /admin/faults`), or directly on a server's state in-process.

use std::sync::atomic::{AtomicU64, Ordering};

/// Faults per word of [`FaultSwitches`].
const WORD: usize = u64::BITS as usize;

/// A defect the server can be switched to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Fault {
    // Discovery.
    /// The SMART configuration also advertises the `plain` PKCE method.
    PkcePlainAdvertised,
    /// The SMART configuration leaves out the token endpoint.
    SmartConfigWithoutTokenEndpoint,
    /// The CapabilityStatement declares no SMART security service.
    MetadataWithoutSmartSecurity,
    /// The OpenID configuration names an issuer with a trailing slash, not the id_token's `iss`.
    OpenidConfigurationOtherIssuer,
    /// No OpenID configuration is published at the issuer (404).
    OpenidConfigurationMissing,
    // Authorization endpoint.
    /// A redirect_uri that starts with a registered URI is accepted.
    RedirectPrefixMatch,
    /// redirect_uri is compared ignoring case.
    RedirectCaseInsensitive,
    /// A trailing slash more or less on redirect_uri is ignored.
    RedirectTrailingSlashIgnored,
    /// An unregistered redirect_uri gets a redirect with an error instead of an error page.
    RedirectOnBadUri,
    /// The `state` is not returned on the redirect.
    StateNotEchoed,
    /// The `state` is echoed into the redirect without percent-encoding.
    StateNotEncoded,
    /// An unknown client_id gets a redirect (with an error) to the redirect_uri it names.
    RedirectForUnknownClient,
    /// Any response_type is served as `code`.
    ResponseTypeNotChecked,
    /// A resource-specific patient scope (`patient/Patient.rs`) is accepted.
    ScopeResourceSpecificAccepted,
    /// Scopes are matched ignoring case (`Patient/*.rs` read as `patient/*.rs`).
    ScopeCaseInsensitive,
    /// The scope must be the documented one in its documented order.
    ScopeOrderSensitive,
    /// Write scopes (`patient/*.cruds`, `patient/*.*`) are accepted.
    ScopeWriteAccepted,
    /// User-level scopes (`user/*.rs`) are accepted.
    ScopeUserLevelAccepted,
    /// A system scope on a Patient Access authorization is accepted.
    ScopeSystemOnPatientAppAccepted,
    /// The granted scope is wider than the requested one (`patient/*.cruds` added).
    ScopeSilentlyWidened,
    /// A wrong password signs the member in.
    WrongPasswordAccepted,
    /// A denied consent still redirects with a code.
    ConsentDenialIssuesCode,
    /// The consent page carries the member's password in a hidden field.
    ConsentPageCarriesPassword,
    /// The login and consent pages may be framed by any site: neither
    /// `Content-Security-Policy: frame-ancestors` nor `X-Frame-Options` is sent.
    LoginPageFrameable,
    /// PKCE with the `plain` method is accepted.
    PkcePlainAccepted,
    /// Any `aud` is accepted.
    AudienceNotChecked,
    /// A Provider Directory app may use the authorization code grant.
    DirectoryAppAuthorizeAllowed,
    // Token endpoint.
    /// An authorization code can be exchanged more than once.
    CodeReusable,
    /// The code exchange and refresh trust the client they name: a wrong or missing secret (or
    /// client assertion) is not refused.
    GrantTrustsNamedClient,
    /// A code issued to one client can be redeemed by another.
    CodeNotBoundToClient,
    /// Refresh issues a new refresh token but the old one keeps working.
    RefreshRotatedOldKept,
    /// A refresh that asks for a narrower scope narrows the refresh token too, so later
    /// refreshes never get the whole grant back.
    RefreshNarrowingSticks,
    /// A replayed code is refused but the tokens of its first exchange keep working.
    CodeReplayKeepsTokens,
    /// An authorization code never expires.
    CodeNeverExpires,
    /// The code exchange does not compare redirect_uri with the authorization request's.
    CodeNotBoundToRedirectUri,
    /// A code issued with a PKCE challenge is exchanged without any code_verifier.
    PkceVerifierOptional,
    /// A code issued without a PKCE challenge is exchanged with a code_verifier (a downgrade).
    PkceDowngradeAccepted,
    /// The PKCE code_verifier is not checked.
    PkceNotVerified,
    /// A failed client authentication is 400 without `WWW-Authenticate`.
    InvalidClientAsBadRequest,
    /// A private_key_jwt client assertion is accepted whatever its signature.
    ClientAssertionSignatureUnchecked,
    /// A client assertion for another audience than the token endpoint is accepted.
    ClientAssertionAudienceUnchecked,
    /// An expired client assertion (or one valid for hours, or not valid yet) is accepted.
    ClientAssertionExpiryUnchecked,
    /// A client assertion can be used again (its jti is not remembered).
    ClientAssertionReplayAccepted,
    /// Token responses lack `Cache-Control: no-store` and `Pragma: no-cache`.
    TokenCacheHeadersMissing,
    /// Token errors are HTML pages instead of OAuth error JSON.
    TokenErrorsNotJson,
    /// The code exchange's response has no `patient`.
    TokenResponseWithoutPatient,
    /// Introspection says every token is active.
    IntrospectionAlwaysActive,
    /// Introspection answers a caller without any credentials.
    IntrospectionUnauthenticated,
    /// Introspection believes `token_type_hint`: an access token hinted as a refresh token is
    /// reported inactive (RFC 7662 2.1: the search extends to every type).
    IntrospectionTrustsHint,
    /// Introspection describes a refresh token by its expiry only, so one whose grant was
    /// revoked still reads active.
    IntrospectionIgnoresRevokedGrant,
    /// The id_token's fhirUser names a URL where the member's Patient is not served.
    IdTokenFhirUserWrongBase,
    /// The id_token is signed with a key that is not in the JWKS.
    IdTokenForeignKey,
    /// The id_token's `aud` is not the client.
    IdTokenWrongAudience,
    /// The id_token leaves out the `nonce` the login sent.
    IdTokenNonceDropped,
    /// A Patient Access app may use the client credentials grant.
    ClientCredentialsForPatientApp,
    /// A client-credentials token carries a patient claim.
    PatientClaimOnSystemToken,
    /// A refresh token works after its grant was revoked.
    RefreshAfterRevocation,
    /// A refresh token works for another client.
    RefreshNotBoundToClient,
    // Gateway.
    /// An expired access token is accepted.
    ExpiredTokenAccepted,
    /// A revoked access token is accepted.
    RevokedTokenAccepted,
    /// A 401 has no `WWW-Authenticate` header.
    MissingWwwAuthenticate,
    /// A 401's Bearer challenge names its realm twice (a proxy adds its own).
    ChallengeRealmRepeated,
    /// The "Not registered to plan" 403 has no `WWW-Authenticate` challenge.
    PlanRefusalWithoutChallenge,
    /// The token endpoint refuses a parameter it does not know with `invalid_request`.
    UnknownParameterRefused,
    /// Introspection leaves out the launch context (`patient`) and the id_token's `sub` and `fhirUser`.
    IntrospectionWithoutLaunchContext,
    /// A client assertion whose `aud` is an array is refused.
    AssertionAudArrayRefused,
    /// HTTP Basic client credentials are compared as sent, not form-decoded first.
    BasicCredentialsNotFormDecoded,
    /// The subscription plan of the token's client is not checked.
    PlanNotChecked,
    /// The Patient Access API accepts a token without a patient claim.
    PatientAccessWithoutPatientClaim,
    /// A patient token reads another patient's data.
    OtherPatientDataReturned,
    // FHIR APIs.
    /// Searches answer a `collection` Bundle instead of a `searchset`.
    SearchNotSearchset,
    /// The Provider Directory does not serve HealthcareService.
    DirectoryTypeMissing,
    /// `$everything`'s last page links back to the first.
    EverythingNextLoops,
    /// `$everything`'s `next` links point to another origin.
    EverythingNextForeignOrigin,
    /// `$everything` leaves out a resource between pages.
    EverythingSkipsResources,
    /// `$everything` repeats a resource on two pages.
    EverythingDuplicatesResources,
    /// `$everything` ignores `_count`.
    EverythingIgnoresCount,
    /// `$everything` includes a resource of another patient.
    EverythingOutsideCompartment,
    /// `$everything` takes `_type` (and echoes it in its links) but returns every type.
    EverythingTypeIgnored,
    /// A compartment search by `_id` finds another patient's resources (one id index over
    /// every record).
    IdSearchCrossesCompartment,
    /// A `subject` or `beneficiary` search naming another patient answers that patient's
    /// data (only `patient` is checked against the token).
    ReferenceSearchCrossesCompartment,
    /// Searches of both FHIR APIs ignore `_count` (every page has the default size).
    SearchIgnoresCount,
    /// A search's `next` link starts one entry early, so each page repeats the last entry of
    /// the page before.
    SearchPagesOverlap,
    /// The `identifier` search parameter is accepted (and kept in the links) but not applied:
    /// every resource matches it.
    SearchIdentifierIgnored,
    /// A malformed parameter makes the server answer 500.
    ServerErrorOnBadInput,
    // Application-id profile (seed 004).
    /// An account the application is not granted is readable.
    AppIdUngrantedAccountReadable,
    /// An endpoint the application is not authorized for answers.
    AppIdUnauthorizedEndpointAllowed,
    /// Sandbox credentials are accepted on production.
    AppIdSandboxCredentialsOnProduction,
    /// The application secret is not checked: the id alone is let in.
    AppIdSecretNotChecked,
    // Patient-generated credentials (seed 003).
    /// A deleted key/secret pair still reads data (a stale cache of verified keys).
    PatientKeyDeletedStillWorks,
    /// A pair's secret is kept in clear and shown again in the list.
    PatientKeySecretListed,
    /// A pair's secret is not checked: the key alone reads data.
    PatientKeySecretNotChecked,
    /// The member's list of pairs comes back empty.
    PatientKeyListEmpty,
    // Developer portal (seed 000).
    /// After "Reset API Secret" the old secret is still accepted (a grace period that never ends).
    PortalOldSecretAccepted,
    /// After "Reset Credentials" the old client_id and secret still authenticate.
    PortalOldCredentialsAccepted,
    /// Production issues tokens to an app whose production access was not approved.
    PortalProductionWithoutApproval,
    /// Production refuses the sandbox secret (it holds credentials the portal never showed).
    PortalProductionSeparateSecret,
    /// A token issued in one environment works on the other's FHIR bases.
    PortalTokenAnyEnvironment,
    /// "Add" retires the app's earlier credential sets instead of joining them.
    PortalAddedCredentialReplaces,
    /// The app's page shows its client secret again (kept in clear).
    PortalSecretShownAgain,
}

/// What each fault is and which rules it breaks.
pub struct FaultInfo {
    pub fault: Fault,
    /// The requirement ids the defect violates: the checks of these ids must catch it, and
    /// no check of another id may notice it.
    pub requirements: &'static [&'static str],
}

impl Fault {
    /// Every fault, in declaration order.
    pub fn all() -> Vec<Fault> {
        use clap::ValueEnum;
        Fault::value_variants().to_vec()
    }

    /// The kebab-case name (`code-reusable`), as `--fault` takes it.
    pub fn name(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// A fault by its name.
    pub fn parse(name: &str) -> Option<Fault> {
        use clap::ValueEnum;
        Fault::from_str(name, true).ok()
    }

    /// One line: the defect.
    pub fn defect(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .and_then(|v| v.get_help().map(|h| h.to_string()))
            .unwrap_or_default()
    }

    /// The requirement ids the defect violates.
    pub fn requirements(self) -> &'static [&'static str] {
        use Fault::*;
        match self {
            PkcePlainAdvertised => &["DISC-PKCE-S256"],
            SmartConfigWithoutTokenEndpoint => &["DISC-SMART-CONFIG"],
            MetadataWithoutSmartSecurity => &["DISC-METADATA"],
            OpenidConfigurationOtherIssuer => &["OIDC-DISCOVERY"],
            OpenidConfigurationMissing => &["OIDC-DISCOVERY-DOC"],
            UnknownParameterRefused => &["OAUTH-IGNORE-UNKNOWN"],
            IntrospectionWithoutLaunchContext => &["INTROSPECT-SMART-CONTEXT", "INTROSPECT"],
            AssertionAudArrayRefused => &["TOKEN-ASSERTION-AUD-ARRAY"],
            ConsentDenialIssuesCode => &["AUTHZ-CONSENT"],
            ConsentPageCarriesPassword => &["SECRET-NO-ECHO"],
            LoginPageFrameable => &["AUTHZ-FRAMING"],
            PkcePlainAccepted => &["AUTHZ-PKCE"],
            AudienceNotChecked => &["AUTHZ-AUD"],
            TokenErrorsNotJson => &["TOKEN-ERRORS"],
            TokenResponseWithoutPatient => &["TOKEN-RESPONSE"],
            IntrospectionAlwaysActive => &["INTROSPECT"],
            IntrospectionIgnoresRevokedGrant | IntrospectionUnauthenticated => &["INTROSPECT"],
            IntrospectionTrustsHint => &["INTROSPECT"],
            PatientAccessWithoutPatientClaim => &["GW-PA-CLAIMS"],
            SearchNotSearchset => &["FHIR-READ-SEARCH"],
            DirectoryTypeMissing => &["FHIR-DIRECTORY"],
            RedirectPrefixMatch | RedirectCaseInsensitive | RedirectTrailingSlashIgnored => {
                &["AUTHZ-REDIRECT-EXACT", "AUTHZ-NO-REDIRECT-ON-BAD-URI"]
            }
            RedirectOnBadUri => &["AUTHZ-NO-REDIRECT-ON-BAD-URI"],
            StateNotEchoed => &["AUTHZ-PARAMS", "AUTHZ-CONSENT"],
            ScopeResourceSpecificAccepted
            | ScopeWriteAccepted
            | ScopeUserLevelAccepted
            | ScopeSystemOnPatientAppAccepted
            | ScopeSilentlyWidened => &["AUTHZ-SCOPE-POLICY"],
            WrongPasswordAccepted => &["AUTHZ-LOGIN"],
            DirectoryAppAuthorizeAllowed => &["AUTHZ-UNAUTHORIZED-CLIENT", "TOKEN-PLAN-GRANT"],
            // A code that works twice also leaves the first exchange's tokens working.
            CodeReusable => &["CODE-SINGLE-USE", "CODE-REPLAY-REVOKES"],
            CodeReplayKeepsTokens => &["CODE-REPLAY-REVOKES"],
            RefreshRotatedOldKept => &["REFRESH-ROTATION"],
            RefreshNarrowingSticks => &["TOKEN-REFRESH"],
            GrantTrustsNamedClient => &["TOKEN-CLIENT-AUTH", "TOKEN-CLIENT-ASSERTION"],
            BasicCredentialsNotFormDecoded => &["TOKEN-CLIENT-AUTH"],
            CodeNotBoundToClient | PkceVerifierOptional | PkceDowngradeAccepted => {
                &["CODE-BINDING"]
            }
            ScopeCaseInsensitive | ScopeOrderSensitive => &["AUTHZ-SCOPE-POLICY"],
            StateNotEncoded | ResponseTypeNotChecked => &["AUTHZ-PARAMS"],
            RedirectForUnknownClient => &["AUTHZ-NO-REDIRECT-ON-BAD-URI"],
            CodeNeverExpires => &["CODE-LIFETIME"],
            CodeNotBoundToRedirectUri | PkceNotVerified => &["CODE-BINDING"],
            InvalidClientAsBadRequest => &["TOKEN-CLIENT-AUTH"],
            ClientAssertionSignatureUnchecked
            | ClientAssertionAudienceUnchecked
            | ClientAssertionExpiryUnchecked
            | ClientAssertionReplayAccepted => &["TOKEN-CLIENT-ASSERTION"],
            TokenCacheHeadersMissing => &["TOKEN-NO-STORE"],
            // A foreign key also fails the OpenID configuration's JWKS (OIDC-DISCOVERY).
            IdTokenForeignKey => &["TOKEN-ID-TOKEN", "OIDC-DISCOVERY"],
            IdTokenWrongAudience | IdTokenFhirUserWrongBase => &["TOKEN-ID-TOKEN"],
            IdTokenNonceDropped => &["OIDC-NONCE"],
            ClientCredentialsForPatientApp => &["TOKEN-PLAN-GRANT"],
            PatientClaimOnSystemToken => &["TOKEN-CC-SCOPE", "GW-PD-CLAIMS"],
            RefreshAfterRevocation => &[
                "MEMBER-REVOKE",
                "REVOKE",
                "TOKEN-REFRESH",
                "CODE-REPLAY-REVOKES",
            ],
            RefreshNotBoundToClient => &["TOKEN-REFRESH"],
            ExpiredTokenAccepted | MissingWwwAuthenticate => &["GW-401"],
            ChallengeRealmRepeated => &["GW-CHALLENGE-SYNTAX"],
            PlanRefusalWithoutChallenge => &["GW-403-CHALLENGE"],
            RevokedTokenAccepted => &["GW-401", "MEMBER-REVOKE", "REVOKE", "CODE-REPLAY-REVOKES"],
            PlanNotChecked => &["GW-PLAN", "PORTAL-PLAN"],
            // The same read path serves the patient-generated credentials profile.
            OtherPatientDataReturned => &["GW-COMPARTMENT", "PKEYS-SCOPE"],
            EverythingNextLoops
            | EverythingNextForeignOrigin
            | EverythingSkipsResources
            | EverythingDuplicatesResources
            | EverythingIgnoresCount => &["FHIR-EVERYTHING"],
            EverythingOutsideCompartment => &["FHIR-EVERYTHING", "GW-COMPARTMENT"],
            EverythingTypeIgnored => &["FHIR-EVERYTHING-TYPE"],
            IdSearchCrossesCompartment | ReferenceSearchCrossesCompartment => &["GW-COMPARTMENT"],
            SearchIgnoresCount | SearchPagesOverlap => &["FHIR-SEARCH-PAGING"],
            SearchIdentifierIgnored => &["FHIR-SEARCH-FILTER"],
            ServerErrorOnBadInput => &["INPUT-4XX"],
            AppIdUngrantedAccountReadable => &["APPID-ACCOUNT-403"],
            AppIdUnauthorizedEndpointAllowed => &["APPID-ENDPOINT-403"],
            AppIdSandboxCredentialsOnProduction => &["APPID-ENV"],
            AppIdSecretNotChecked => &["APPID-401"],
            PatientKeyDeletedStillWorks => &["PKEYS-DELETE"],
            PatientKeySecretListed => &["PKEYS-SECRET-ONCE"],
            PatientKeySecretNotChecked => &["PKEYS-AUTH"],
            PatientKeyListEmpty => &["PKEYS-MANAGE"],
            PortalOldSecretAccepted => &["PORTAL-RESET-SECRET"],
            PortalOldCredentialsAccepted => &["PORTAL-RESET-CREDS"],
            PortalProductionWithoutApproval => &["PORTAL-PROD-APPROVAL"],
            PortalProductionSeparateSecret => &["PORTAL-PROD-SAME-CREDS"],
            PortalTokenAnyEnvironment => &["PORTAL-ENV-BOUND"],
            PortalAddedCredentialReplaces => &["PORTAL-CRED-ADD"],
            PortalSecretShownAgain => &["PORTAL-SECRET-ONCE"],
        }
    }

    /// The position of the fault in declaration order (0-based, as [`Fault::all`] lists it).
    fn index(self) -> usize {
        self as usize
    }

    /// The word of [`FaultSwitches`] holding the fault, and the fault's bit in it.
    fn slot(self) -> (usize, u64) {
        slot(self.index())
    }
}

/// The word holding the fault at `index`, and its bit in that word.
fn slot(index: usize) -> (usize, u64) {
    (index / WORD, 1 << (index % WORD))
}

/// The switches of a running server (all off by default). Cheap to read on every request:
/// one relaxed atomic load, no lock. One bit per fault in as many 64-bit words as the enum
/// needs, so the set grows with [`Fault`].
#[derive(Debug)]
pub struct FaultSwitches(Box<[AtomicU64]>);

impl Default for FaultSwitches {
    fn default() -> FaultSwitches {
        let words = Fault::all().len().div_ceil(WORD);
        FaultSwitches((0..words).map(|_| AtomicU64::new(0)).collect())
    }
}

impl FaultSwitches {
    /// Switches with `faults` on.
    pub fn with(faults: &[Fault]) -> FaultSwitches {
        let s = FaultSwitches::default();
        s.set(faults);
        s
    }

    /// Whether `fault` is on.
    pub fn on(&self, fault: Fault) -> bool {
        let (word, bit) = fault.slot();
        self.0[word].load(Ordering::Relaxed) & bit != 0
    }

    /// Turns exactly `faults` on (and every other off). Each word is stored at once; a
    /// request running while the set changes may see some words old and some new.
    pub fn set(&self, faults: &[Fault]) {
        let mut words = vec![0u64; self.0.len()];
        for f in faults {
            let (word, bit) = f.slot();
            words[word] |= bit;
        }
        for (slot, bits) in self.0.iter().zip(words) {
            slot.store(bits, Ordering::Relaxed);
        }
    }

    /// The faults that are on.
    pub fn active(&self) -> Vec<Fault> {
        Fault::all().into_iter().filter(|f| self.on(*f)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_fault_has_a_name_a_defect_and_requirements() {
        let all = Fault::all();
        assert!(all.len() >= 25, "{}", all.len());
        for f in all {
            assert_eq!(Fault::parse(&f.name()), Some(f));
            assert!(!f.defect().is_empty(), "{f:?}");
            assert!(!f.requirements().is_empty(), "{f:?}");
        }
        assert_eq!(Fault::CodeReusable.name(), "code-reusable");
    }

    #[test]
    fn switches_turn_on_exactly_what_is_set() {
        let s = FaultSwitches::with(&[Fault::CodeReusable, Fault::PlanNotChecked]);
        assert!(s.on(Fault::CodeReusable) && s.on(Fault::PlanNotChecked));
        assert!(!s.on(Fault::PkceNotVerified));
        s.set(&[Fault::PkceNotVerified]);
        assert_eq!(s.active(), [Fault::PkceNotVerified]);
        s.set(&[]);
        assert!(s.active().is_empty());
    }

    #[test]
    fn faults_are_numbered_in_declaration_order() {
        // `on` indexes the words by the discriminant: it must be the position in `all`.
        for (i, f) in Fault::all().into_iter().enumerate() {
            assert_eq!(f.index(), i, "{f:?}");
        }
    }

    #[test]
    fn the_65th_fault_opens_a_second_word() {
        assert_eq!(slot(0), (0, 1));
        assert_eq!(slot(63), (0, 1 << 63));
        assert_eq!(slot(64), (1, 1));
        assert_eq!(slot(130), (2, 1 << 2));
    }

    #[test]
    fn every_fault_reads_back_alone_and_all_together() {
        let all = Fault::all();
        let s = FaultSwitches::default();
        assert_eq!(s.0.len(), all.len().div_ceil(WORD));
        for &f in &all {
            s.set(&[f]);
            for &g in &all {
                assert_eq!(s.on(g), g == f, "{f:?} on, {g:?} read");
            }
            assert_eq!(s.active(), [f]);
        }
        s.set(&all);
        assert!(all.iter().all(|f| s.on(*f)));
        assert_eq!(s.active(), all);
    }

    proptest! {
        #[test]
        fn any_subset_reads_back_exactly(
            subset in prop::sample::subsequence(Fault::all(), 0..=Fault::all().len()),
            mut shuffled in prop::sample::subsequence(Fault::all(), 0..=Fault::all().len())
                .prop_shuffle(),
        ) {
            let s = FaultSwitches::with(&subset);
            // `subsequence` keeps declaration order, the order `active` answers in.
            prop_assert_eq!(s.active(), subset.clone());
            for f in Fault::all() {
                prop_assert_eq!(s.on(f), subset.contains(&f));
            }
            // Setting again replaces, whatever the order given (repeats allowed).
            shuffled.extend(shuffled.clone());
            s.set(&shuffled);
            shuffled.sort();
            shuffled.dedup();
            prop_assert_eq!(s.active(), shuffled);
        }
    }
}
