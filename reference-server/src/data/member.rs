//! A member's story, planned before any resource is written: who they are, what they have,
//! which visits they make, what they are prescribed, and who cares for them.
//!
//! The resource builders only render this plan, so every cross-reference (a claim's
//! encounter, a prescription's reason, an encounter's practitioner) is consistent by
//! construction.

use super::codes::{ALLERGENS, CHRONIC, Med, Problem, Vaccine};
use super::dates::{Day, EVENTS_END, SPAN_START};
use super::directory::{DENTAL_OFFICES, PHARMACIES};
use super::names::{PersonName, Place};
use super::providers::{
    DENTISTS, PEDIATRICS, PRIMARY_CARE, practitioner_org, practitioner_specialty,
};
use super::rng::{Rng, hash_str, mix};

/// Why a member sees a clinician.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VisitKind {
    /// Yearly preventive visit at the primary care clinic.
    Wellness,
    /// Check on a chronic problem at the primary care clinic.
    FollowUp,
    /// Short illness or injury at the primary care clinic.
    Acute,
    /// Emergency department visit at a hospital.
    Emergency,
    /// Hospital stay (admitted through the emergency department).
    Inpatient,
    /// Screening procedure in a hospital's outpatient department.
    Screening,
}

/// One encounter of the member.
#[derive(Debug, Clone)]
pub(crate) struct Visit {
    pub(crate) kind: VisitKind,
    pub(crate) day: Day,
    /// Last day (the same day except for hospital stays).
    pub(crate) end: Day,
    /// Start time, minutes after midnight (local time).
    pub(crate) minute: u32,
    pub(crate) practitioner: usize,
    pub(crate) org: usize,
    /// Index into [`Member::conditions`] of the problem addressed, if any.
    pub(crate) condition: Option<usize>,
    /// Indexes into [`PROCS`].
    pub(crate) procs: Vec<usize>,
    /// Indexes into the lab table of [`super::observations`].
    pub(crate) labs: Vec<usize>,
    pub(crate) vaccines: Vec<&'static Vaccine>,
}

/// One problem of the member.
#[derive(Debug, Clone)]
pub(crate) struct ConditionPlan {
    pub(crate) problem: &'static Problem,
    /// Index into [`CHRONIC`] for problem-list items.
    pub(crate) chronic: Option<usize>,
    pub(crate) onset: Day,
    pub(crate) recorded: Day,
    /// Index into [`Member::visits`] of the encounter it was diagnosed at.
    pub(crate) visit: Option<usize>,
}

/// One prescription of the member.
#[derive(Debug, Clone)]
pub(crate) struct Prescription {
    pub(crate) med: &'static Med,
    /// Index into [`Member::visits`] of the encounter it was written at.
    pub(crate) visit: usize,
    /// Index into [`Member::conditions`] of the reason.
    pub(crate) condition: Option<usize>,
    /// How many times it was filled (one pharmacy claim each).
    pub(crate) fills: u32,
}

/// A period of coverage of one plan.
#[derive(Debug, Clone)]
pub(crate) struct CoverageSpan {
    pub(crate) dental: bool,
    pub(crate) start: Day,
    pub(crate) end: Option<Day>,
    /// 1-based directory insurance plan (0 for dental).
    pub(crate) plan: usize,
}

/// Everything generated about one member.
#[derive(Debug, Clone)]
pub(crate) struct Member<'a> {
    pub(crate) seed: u64,
    /// Seed of this member's random streams.
    pub(crate) salt: u64,
    pub(crate) patient_id: &'a str,
    /// The part of compartment resource ids that names the member.
    pub(crate) key: String,
    pub(crate) name: PersonName,
    pub(crate) birth: Day,
    pub(crate) place: Place,
    pub(crate) member_number: String,
    pub(crate) pcp: usize,
    pub(crate) pharmacy: usize,
    pub(crate) dentist: usize,
    pub(crate) height_cm: f64,
    pub(crate) bmi: f64,
    /// Indexes into [`ALLERGENS`].
    pub(crate) allergies: Vec<usize>,
    pub(crate) conditions: Vec<ConditionPlan>,
    pub(crate) visits: Vec<Visit>,
    pub(crate) prescriptions: Vec<Prescription>,
    pub(crate) dental_visits: Vec<Day>,
    pub(crate) coverages: Vec<CoverageSpan>,
}

/// Ids of compartment resources embed the patient id when it is a short, valid FHIR id, so
/// that ids of different members never collide; long or unusual ids are shortened and
/// disambiguated with a hash.
pub(crate) fn id_key(patient_id: &str) -> String {
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    if !patient_id.is_empty() && patient_id.len() <= 40 && patient_id.chars().all(valid) {
        return patient_id.to_string();
    }
    let head: String = patient_id.chars().filter(|c| valid(*c)).take(20).collect();
    format!("{head}-{:016x}", hash_str(patient_id))
}

impl<'a> Member<'a> {
    /// Age in whole years on `day`.
    pub(crate) fn age_on(&self, day: Day) -> i64 {
        day.years_since(self.birth)
    }

    /// The id of a compartment resource: `<prefix>-<member key>-<n>`.
    pub(crate) fn rid(&self, prefix: &str, n: usize) -> String {
        format!("{prefix}-{}-{n}", self.key)
    }

    /// A random stream for one part of the record.
    pub(crate) fn rng(&self, part: u64) -> Rng {
        Rng::new(mix(self.salt, part))
    }

    /// Plans the whole story of a member.
    pub(crate) fn plan(seed: u64, index: u64, patient_id: &'a str) -> Member<'a> {
        let salt = mix(mix(seed, index), hash_str(patient_id));
        let mut rng = Rng::new(salt);
        let name = PersonName::random(&mut rng);
        let birth = Day::between(
            &mut rng,
            Day::from_ymd(1940, 1, 1),
            Day::from_ymd(2015, 12, 31),
        );
        let place = Place::random(&mut rng, 85);
        let child = SPAN_START.years_since(birth) < 18;
        let pcps: Vec<usize> = PRIMARY_CARE
            .iter()
            .filter(|p| {
                (practitioner_specialty(*p).nucc == PEDIATRICS.nucc) == child || *p % 3 == 1
            })
            .collect();
        let height_cm = (if name.female {
            rng.range(152, 178)
        } else {
            rng.range(163, 193)
        }) as f64;
        let mut m = Member {
            seed,
            salt,
            patient_id,
            key: id_key(patient_id),
            member_number: format!("PL{:09}", rng.below(1_000_000_000)),
            pcp: *rng.pick(&pcps),
            pharmacy: PHARMACIES.nth(rng.index(PHARMACIES.count)),
            dentist: DENTISTS.nth(rng.index(DENTISTS.count)),
            height_cm,
            bmi: rng.range(190, 360) as f64 / 10.0,
            name,
            birth,
            place,
            allergies: Vec::new(),
            conditions: Vec::new(),
            visits: Vec::new(),
            prescriptions: Vec::new(),
            dental_visits: Vec::new(),
            coverages: Vec::new(),
        };
        m.plan_allergies(&mut rng);
        m.plan_chronic(&mut rng);
        m.plan_visits(&mut rng);
        m.plan_prescriptions(&mut rng);
        m.plan_dental_and_coverage(&mut rng);
        m
    }

    fn plan_allergies(&mut self, rng: &mut Rng) {
        let count = rng.range(2, 3) as usize;
        while self.allergies.len() < count {
            let a = rng.index(ALLERGENS.len());
            if !self.allergies.contains(&a) {
                self.allergies.push(a);
            }
        }
    }

    fn plan_chronic(&mut self, rng: &mut Rng) {
        let age = SPAN_START.years_since(self.birth);
        let eligible: Vec<usize> = (0..CHRONIC.len())
            .filter(|i| CHRONIC[*i].min_age <= age)
            .collect();
        let wanted = if age >= 45 {
            rng.range(2, 3)
        } else {
            rng.range(1, 2)
        } as usize;
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < wanted.min(eligible.len()) {
            let c = *rng.pick(&eligible);
            if !chosen.contains(&c) {
                chosen.push(c);
            }
        }
        for c in chosen {
            let earliest = self
                .birth
                .plus(365 * CHRONIC[c].min_age.max(1))
                .max(Day::from_ymd(2008, 1, 1));
            let onset = Day::between(rng, earliest, Day::from_ymd(2024, 6, 30));
            let recorded = if onset >= SPAN_START {
                onset
            } else {
                Day::between(rng, SPAN_START, SPAN_START.plus(300))
            };
            self.conditions.push(ConditionPlan {
                problem: &CHRONIC[c],
                chronic: Some(c),
                onset,
                recorded,
                visit: None,
            });
        }
    }

    fn plan_dental_and_coverage(&mut self, rng: &mut Rng) {
        let cleanings = rng.range(1, 2);
        for _ in 0..cleanings {
            self.dental_visits
                .push(Day::between(rng, SPAN_START, EVENTS_END));
        }
        self.dental_visits.sort();
        let first_plan = 1 + rng.index(4);
        if rng.chance(50) {
            let switch = Day::from_ymd(2021 + rng.below(3) as i64, 1, 1);
            self.coverages.push(CoverageSpan {
                dental: false,
                start: SPAN_START,
                end: Some(switch.plus(-1)),
                plan: first_plan,
            });
            let second_plan = 1 + (first_plan % 4);
            self.coverages.push(CoverageSpan {
                dental: false,
                start: switch,
                end: None,
                plan: second_plan,
            });
        } else {
            self.coverages.push(CoverageSpan {
                dental: false,
                start: SPAN_START,
                end: None,
                plan: first_plan,
            });
        }
        self.coverages.push(CoverageSpan {
            dental: true,
            start: SPAN_START,
            end: None,
            plan: 0,
        });
        debug_assert!(DENTAL_OFFICES.contains(practitioner_org(self.dentist)));
    }

    /// Index into [`Member::coverages`] of the coverage in force on `day`.
    pub(crate) fn coverage_on(&self, day: Day, dental: bool) -> usize {
        self.coverages
            .iter()
            .position(|c| c.dental == dental && c.start <= day && c.end.is_none_or(|e| day <= e))
            .or_else(|| self.coverages.iter().rposition(|c| c.dental == dental))
            .unwrap_or(0)
    }
}
