//! ExplanationOfBenefit resources (CARIN BB 2.1): the shared header, adjudication and totals,
//! and the entry point that writes every claim of a member. The claim types are in
//! [`super::claims_professional`] and [`super::claims_institutional`].

use std::ops::AddAssign;

use serde_json::Value;

use super::claims_institutional::{institutional, pharmacy};
use super::claims_professional::{oral, professional};
use super::dates::{Day, last_updated};
use super::directory::{DENTAL_PAYER, DENTAL_PAYER_NAME, PAYER, PAYER_NAME, org_id};
use super::fhir::{
    c4bb_cs, concept, concept_text, jv, meta, profile, reference, reference_display, sys, usd,
};
use super::member::{Member, VisitKind};
use super::providers::{practitioner_id, practitioner_specialty};
use super::rng::Rng;

const ADJUDICATION: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
const C4BB_ADJUDICATION: &str = c4bb_cs!("C4BBAdjudication");
const POS: &str =
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";

/// The CARIN BB claim types the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimType {
    Inpatient,
    Outpatient,
    Professional,
    Pharmacy,
    Oral,
}

impl ClaimType {
    fn profile(self) -> &'static str {
        match self {
            ClaimType::Inpatient => profile::EOB_INPATIENT,
            ClaimType::Outpatient => profile::EOB_OUTPATIENT,
            ClaimType::Professional => profile::EOB_PROFESSIONAL,
            ClaimType::Pharmacy => profile::EOB_PHARMACY,
            ClaimType::Oral => profile::EOB_ORAL,
        }
    }

    fn code(self) -> (&'static str, &'static str) {
        match self {
            ClaimType::Inpatient | ClaimType::Outpatient => ("institutional", "Institutional"),
            ClaimType::Professional => ("professional", "Professional"),
            ClaimType::Pharmacy => ("pharmacy", "Pharmacy"),
            ClaimType::Oral => ("oral", "Oral"),
        }
    }
}

/// The money of a claim line (or a whole claim), in cents.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Amounts {
    pub(crate) submitted: i64,
    pub(crate) allowed: i64,
    pub(crate) deductible: i64,
    pub(crate) copay: i64,
    pub(crate) coinsurance: i64,
    pub(crate) benefit: i64,
}

impl AddAssign for Amounts {
    fn add_assign(&mut self, o: Amounts) {
        self.submitted += o.submitted;
        self.allowed += o.allowed;
        self.deductible += o.deductible;
        self.copay += o.copay;
        self.coinsurance += o.coinsurance;
        self.benefit += o.benefit;
    }
}

impl Amounts {
    /// Adjudicates a charge: the plan allows `allowed_pct` percent of it, the member pays the
    /// deductible, the copay and `coinsurance_pct` percent of the rest, the plan the remainder.
    pub(crate) fn adjudicate(
        charge: i64,
        allowed_pct: u64,
        deductible: i64,
        copay: i64,
        coinsurance_pct: i64,
    ) -> Amounts {
        let allowed = charge * allowed_pct as i64 / 100;
        let deductible = deductible.min(allowed);
        let copay = copay.min(allowed - deductible);
        let coinsurance = (allowed - deductible - copay) * coinsurance_pct / 100;
        let benefit = allowed - deductible - copay - coinsurance;
        Amounts {
            submitted: charge,
            allowed,
            deductible,
            copay,
            coinsurance,
            benefit,
        }
    }

    /// What the member owes.
    pub(crate) fn member_liability(&self) -> i64 {
        self.deductible + self.copay + self.coinsurance
    }

    /// The `adjudication` (line) or `total` (claim) entries of these amounts: submitted,
    /// eligible, the member's shares that are not zero, paid to provider, and for a claim's
    /// totals the member's liability (their sum).
    pub(crate) fn entries(&self, total: bool) -> Vec<Value> {
        let entry = |system: &str, code: &str, display: &str, cents: i64| jv!({ "category": concept(system, code, display), "amount": usd(cents) });
        let mut out = Vec::with_capacity(6);
        out.push(entry(
            ADJUDICATION,
            "submitted",
            "Submitted Amount",
            self.submitted,
        ));
        out.push(entry(
            ADJUDICATION,
            "eligible",
            "Eligible Amount",
            self.allowed,
        ));
        if self.deductible > 0 {
            out.push(entry(
                ADJUDICATION,
                "deductible",
                "Deductible",
                self.deductible,
            ));
        }
        if self.copay > 0 {
            out.push(entry(ADJUDICATION, "copay", "CoPay", self.copay));
        }
        if self.coinsurance > 0 {
            out.push(entry(
                C4BB_ADJUDICATION,
                "coinsurance",
                "Co-insurance",
                self.coinsurance,
            ));
        }
        out.push(entry(
            C4BB_ADJUDICATION,
            "paidtoprovider",
            "Paid to provider",
            self.benefit,
        ));
        if total {
            out.push(entry(
                C4BB_ADJUDICATION,
                "memberliability",
                "Member liability",
                self.member_liability(),
            ));
        }
        out
    }
}

/// A C4BB supporting-information entry; `value_key` names the value element.
pub(crate) fn info(sequence: usize, category: &str, value_key: &str, value: Value) -> Value {
    let mut si = jv!({
        "sequence": sequence,
        "category": concept(c4bb_cs!("C4BBSupportingInfoType"), category, ""),
    });
    si[value_key] = value;
    si
}

/// A care-team member with a C4BB role and the practitioner's taxonomy.
pub(crate) fn care_team(
    sequence: usize,
    practitioner: usize,
    role: &str,
    role_display: &str,
) -> Value {
    let spec = practitioner_specialty(practitioner);
    jv!({
        "sequence": sequence,
        "provider": reference("Practitioner", &practitioner_id(practitioner)),
        "responsible": sequence == 1,
        "role": concept(c4bb_cs!("C4BBClaimCareTeamRole"), role, role_display),
        "qualification": concept(sys::NUCC, spec.nucc, spec.display),
    })
}

/// A diagnosis entry coded in ICD-10-CM.
pub(crate) fn diagnosis(
    sequence: usize,
    icd10: &str,
    display: &str,
    type_system: &str,
    type_code: &str,
) -> Value {
    jv!({
        "sequence": sequence,
        "diagnosisCodeableConcept": concept(sys::ICD10CM, icd10, display),
        "type": [concept(type_system, type_code, "")],
    })
}

/// The `ex-diagnosistype` code system.
pub(crate) const DIAGNOSIS_TYPE: &str = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype";

/// A claim line.
pub(crate) fn line(
    sequence: usize,
    day: Day,
    product: Value,
    quantity: u32,
    amounts: &Amounts,
) -> Value {
    jv!({
        "sequence": sequence,
        "productOrService": product,
        "servicedDate": day.date(),
        "quantity": { "value": quantity },
        "adjudication": amounts.entries(false),
    })
}

/// A place-of-service code.
pub(crate) fn place_of_service(code: &str, display: &str) -> Value {
    concept(POS, code, display)
}

/// What a claim bills: its type, service period, billing provider and coverage.
pub(crate) struct Billing {
    pub(crate) kind: ClaimType,
    pub(crate) start: Day,
    pub(crate) end: Day,
    pub(crate) provider: Value,
    /// Index into the member's coverages.
    pub(crate) coverage: usize,
}

/// The header shared by every claim type (without lines and money), and the day the claim
/// was created.
pub(crate) fn header(m: &Member<'_>, rng: &mut Rng, n: usize, billing: Billing) -> (Value, Day) {
    let Billing {
        kind,
        start,
        end,
        provider,
        coverage,
    } = billing;
    let created = end.plus(rng.range(3, 25) as i64);
    let (code, display) = kind.code();
    let dental = kind == ClaimType::Oral;
    let (insurer, insurer_name) = if dental {
        (DENTAL_PAYER, DENTAL_PAYER_NAME)
    } else {
        (PAYER, PAYER_NAME)
    };
    let party = provider_party(&provider);
    let mut eob = jv!({
        "resourceType": "ExplanationOfBenefit",
        "id": m.rid("eob", n),
        "meta": meta(last_updated(rng, created), &[kind.profile()]),
        "identifier": [{
            "type": concept(c4bb_cs!("C4BBIdentifierType"), "uc", "Unique Claim ID"),
            "system": format!("{}/claim-id", sys::PAYER_BASE),
            "value": format!("CLM{:012}", rng.below(1_000_000_000_000)),
        }],
        "status": "active",
        "type": concept_text("http://terminology.hl7.org/CodeSystem/claim-type", code, display, display),
        "use": "claim",
        "patient": reference("Patient", m.patient_id),
        "billablePeriod": { "start": start.date(), "end": end.date() },
        "created": created.date_time(rng.range(7 * 60, 19 * 60) as u32),
        "insurer": reference_display("Organization", &org_id(insurer), insurer_name),
        "provider": provider,
        "payee": {
            "type": concept("http://terminology.hl7.org/CodeSystem/payeetype", "provider", "Provider"),
            "party": party,
        },
        "outcome": "complete",
        "insurance": [{ "focal": true, "coverage": reference("Coverage", &m.rid("cov", coverage + 1)) }],
    });
    if matches!(kind, ClaimType::Inpatient | ClaimType::Outpatient) {
        let sub = if kind == ClaimType::Inpatient {
            ("inpatient", "Inpatient")
        } else {
            ("outpatient", "Outpatient")
        };
        eob["subType"] = concept_text(
            c4bb_cs!("C4BBInstitutionalClaimSubType"),
            sub.0,
            sub.1,
            sub.1,
        );
    }
    (eob, created)
}

fn provider_party(provider: &Value) -> Value {
    jv!({ "reference": provider["reference"].clone() })
}

/// Adds header adjudication, totals and payment to a claim.
pub(crate) fn finish(
    eob: &mut Value,
    rng: &mut Rng,
    kind: ClaimType,
    created: Day,
    total: &Amounts,
) {
    let status_cs = c4bb_cs!("C4BBPayerAdjudicationStatus");
    let discriminator = c4bb_cs!("C4BBAdjudicationDiscriminator");
    let status = |what: &str| {
        jv!({
            "category": concept(discriminator, what, ""),
            "reason": concept(status_cs, "innetwork", "In Network"),
        })
    };
    let mut adjudication = vec![
        status("benefitpaymentstatus"),
        status("billingnetworkstatus"),
    ];
    if matches!(kind, ClaimType::Professional | ClaimType::Oral) {
        adjudication.push(status("renderingnetworkstatus"));
    }
    eob["adjudication"] = jv!(adjudication);
    eob["total"] = jv!(total.entries(true));
    eob["payment"] = jv!({
        "type": concept("http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete", "Complete"),
        "date": created.plus(rng.range(2, 14) as i64).date(),
        "amount": usd(total.benefit),
    });
}

/// Renders every claim of the member: per visit (professional, and institutional for
/// hospital visits), per pharmacy fill, and per dental visit.
pub(crate) fn explanations_of_benefit(m: &Member<'_>) -> Vec<Value> {
    let mut rng = m.rng(0x0045_4F42);
    let mut out = Vec::new();
    for (i, v) in m.visits.iter().enumerate() {
        match v.kind {
            VisitKind::Emergency | VisitKind::Screening => {
                out.push(institutional(
                    m,
                    &mut rng,
                    out.len() + 1,
                    i,
                    ClaimType::Outpatient,
                ));
            }
            VisitKind::Inpatient => {
                out.push(institutional(
                    m,
                    &mut rng,
                    out.len() + 1,
                    i,
                    ClaimType::Inpatient,
                ));
            }
            _ => {}
        }
        out.push(professional(m, &mut rng, out.len() + 1, i));
    }
    for (p, rx) in m.prescriptions.iter().enumerate() {
        for k in 0..rx.fills {
            out.push(pharmacy(m, &mut rng, out.len() + 1, p, k));
        }
    }
    for day in &m.dental_visits {
        out.push(oral(m, &mut rng, out.len() + 1, *day));
    }
    out
}
