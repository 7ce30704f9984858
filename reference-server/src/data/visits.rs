//! Planning a member's visits (with their labs, procedures and vaccines) and prescriptions.

use super::codes::{
    ACUTE, ALLERGENS, EMERGENCY, FLU, MEDS, Med, Problem, VACCINES, Vaccine, chronic,
    med_by_rxnorm, procs,
};
use super::dates::{Day, EVENTS_END, SPAN_START};
use super::member::{ConditionPlan, Member, Prescription, Visit, VisitKind};
use super::observations::lab;
use super::providers::{HOSPITAL_STAFF, practitioner_org};
use super::rng::Rng;

impl Member<'_> {
    /// A visit of the given kind, at the practitioner's organization.
    fn visit(&self, rng: &mut Rng, kind: VisitKind, day: Day, practitioner: usize) -> Visit {
        let minute = match kind {
            VisitKind::Emergency | VisitKind::Inpatient => rng.range(0, 24 * 60 - 1),
            _ => rng.range(8 * 60, 16 * 60) / 15 * 15,
        } as u32;
        Visit {
            kind,
            day,
            end: day,
            minute,
            practitioner,
            org: practitioner_org(practitioner),
            condition: None,
            procs: Vec::new(),
            labs: Vec::new(),
            vaccines: Vec::new(),
        }
    }

    /// A day in the given year inside the events span.
    fn day_in_year(rng: &mut Rng, year: i64) -> Day {
        let end = Day::from_ymd(year, 12, 31).min(EVENTS_END);
        Day::between(rng, Day::from_ymd(year, 1, 1), end)
    }

    /// A hospital physician of the given specialty (index into the hospital specialties).
    fn staff(rng: &mut Rng, specialty: usize) -> usize {
        HOSPITAL_STAFF.first + specialty + 7 * rng.index(2)
    }

    /// Plans wellness, follow-up, acute, emergency and screening visits, in date order.
    pub(super) fn plan_visits(&mut self, rng: &mut Rng) {
        let child = SPAN_START.years_since(self.birth) < 18;
        // Yearly wellness visits in distinct years.
        let wellness = if child { 3 } else { rng.range(2, 3) as usize };
        let mut years: Vec<i64> = Vec::new();
        while years.len() < wellness {
            let y = 2019 + rng.below(7) as i64;
            if !years.contains(&y) {
                years.push(y);
            }
        }
        for y in years {
            let day = Self::day_in_year(rng, y);
            let v = self.visit(rng, VisitKind::Wellness, day, self.pcp);
            self.visits.push(v);
        }
        // Follow-ups of chronic problems, three at most.
        for c in 0..self.conditions.len().min(3) {
            let from = self.conditions[c].recorded.max(SPAN_START);
            let day = Day::between(rng, from, EVENTS_END);
            let mut v = self.visit(rng, VisitKind::FollowUp, day, self.pcp);
            v.condition = Some(c);
            self.visits.push(v);
        }
        // Acute illnesses.
        for _ in 0..rng.range(1, 2) {
            let day = Day::between(rng, SPAN_START, EVENTS_END);
            let age = self.age_on(day);
            let problems: Vec<&'static Problem> =
                ACUTE.iter().filter(|p| p.min_age <= age).collect();
            let problem = *rng.pick(&problems);
            let mut v = self.visit(rng, VisitKind::Acute, day, self.pcp);
            v.condition = Some(self.add_acute(problem, day));
            self.visits.push(v);
        }
        // At most one emergency, sometimes ending in a hospital stay.
        if rng.chance(40) {
            let day = Day::between(rng, SPAN_START, EVENTS_END.plus(-7));
            let age = self.age_on(day);
            let problems: Vec<&'static Problem> =
                EMERGENCY.iter().filter(|p| p.min_age <= age).collect();
            let problem = *rng.pick(&problems);
            let admitted = problem.icd10 == "K37" || (problem.icd10 == "J18.9" && rng.chance(40));
            let (kind, specialty) = if admitted && problem.icd10 == "K37" {
                (VisitKind::Inpatient, 2)
            } else if admitted {
                (VisitKind::Inpatient, 1)
            } else {
                (VisitKind::Emergency, 0)
            };
            let doctor = Self::staff(rng, specialty);
            let mut v = self.visit(rng, kind, day, doctor);
            if admitted {
                v.end = day.plus(rng.range(1, 4) as i64);
            }
            v.condition = Some(self.add_acute(problem, day));
            self.visits.push(v);
        }
        // Screening procedures in hospital outpatient departments.
        let age = EVENTS_END.years_since(self.birth);
        if age >= 50 && rng.chance(40) {
            let day = Day::between(rng, SPAN_START, EVENTS_END);
            let doctor = Self::staff(rng, 6);
            let mut v = self.visit(rng, VisitKind::Screening, day, doctor);
            v.procs.push(procs::COLONOSCOPY);
            self.visits.push(v);
        }
        if self.name.female && age >= 42 && rng.chance(60) {
            let day = Day::between(rng, SPAN_START, EVENTS_END);
            let doctor = Self::staff(rng, 4);
            let mut v = self.visit(rng, VisitKind::Screening, day, doctor);
            v.procs.push(procs::MAMMOGRAPHY);
            self.visits.push(v);
        }
        self.visits.sort_by_key(|v| (v.day, v.minute));
        for i in 0..self.visits.len() {
            if let Some(c) = self.visits[i].condition
                && self.conditions[c].chronic.is_none()
            {
                self.conditions[c].visit = Some(i);
            }
            self.plan_visit_details(rng, i);
        }
    }

    /// Records a short illness diagnosed on `day`; returns its index.
    fn add_acute(&mut self, problem: &'static Problem, day: Day) -> usize {
        self.conditions.push(ConditionPlan {
            problem,
            chronic: None,
            onset: day,
            recorded: day,
            visit: None,
        });
        self.conditions.len() - 1
    }

    /// Labs, procedures and vaccines of visit `i`.
    fn plan_visit_details(&mut self, rng: &mut Rng, i: usize) {
        let v = &self.visits[i];
        let age = self.age_on(v.day);
        let problem = v
            .condition
            .map(|c| (self.conditions[c].problem, self.conditions[c].chronic));
        let mut labs: Vec<usize> = Vec::new();
        let mut procs_: Vec<usize> = Vec::new();
        let mut vaccines: Vec<&'static Vaccine> = Vec::new();
        match v.kind {
            VisitKind::Wellness => {
                if age >= 18 {
                    let first = *rng.pick(&[lab::GLUCOSE, lab::CREATININE, lab::SODIUM]);
                    labs.extend([first, lab::CHOLESTEROL]);
                }
                if age >= 12 {
                    procs_.push(procs::DEPRESSION_SCREENING);
                }
                vaccines.push(&FLU);
                let given: Vec<&str> = self.visits[..i]
                    .iter()
                    .flat_map(|w| w.vaccines.iter().map(|x| x.cvx))
                    .collect();
                if let Some(extra) = VACCINES
                    .iter()
                    .find(|x| x.min_age <= age && age <= x.max_age && !given.contains(&x.cvx))
                {
                    vaccines.push(extra);
                }
                procs_.push(procs::VACCINE_ADMINISTRATION);
            }
            VisitKind::FollowUp => match problem.and_then(|p| p.1) {
                Some(chronic::DIABETES) => labs.extend([lab::A1C, lab::GLUCOSE]),
                Some(chronic::HYPERLIPIDEMIA) => {
                    labs.extend([lab::CHOLESTEROL, lab::HDL, lab::TRIGLYCERIDES])
                }
                Some(chronic::HYPOTHYROIDISM) => labs.push(lab::TSH),
                Some(chronic::ANEMIA) => labs.push(lab::HEMOGLOBIN),
                Some(chronic::HYPERTENSION) => labs.extend([lab::CREATININE, lab::POTASSIUM]),
                Some(chronic::ASTHMA) => procs_.push(procs::SPIROMETRY),
                Some(chronic::ATRIAL_FIBRILLATION) => procs_.push(procs::ECG),
                _ => {}
            },
            VisitKind::Acute => match problem.map(|p| p.0.icd10) {
                Some("J02.9" | "J02.0") => procs_.push(procs::THROAT_CULTURE),
                Some("S93.409A") => procs_.push(procs::ANKLE_XRAY),
                _ => {}
            },
            VisitKind::Emergency | VisitKind::Inpatient => match problem.map(|p| p.0.icd10) {
                Some("R07.9") => procs_.extend([procs::ECG, procs::CHEST_XRAY]),
                Some("K37") => {
                    labs.extend([lab::LEUKOCYTES, lab::HEMOGLOBIN]);
                    procs_.push(procs::APPENDECTOMY);
                }
                _ => {
                    labs.extend([lab::LEUKOCYTES, lab::HEMOGLOBIN]);
                    procs_.push(procs::CHEST_XRAY);
                }
            },
            VisitKind::Screening => {}
        }
        if !labs.is_empty() {
            procs_.insert(0, procs::BLOOD_DRAW);
        }
        let v = &mut self.visits[i];
        v.labs = labs;
        v.procs.extend(procs_);
        v.vaccines = vaccines;
    }

    /// Whether none of the member's allergies rules the drug out.
    fn allowed(&self, med: &Med) -> bool {
        med.contraindicated_by.is_empty()
            || !self
                .allergies
                .iter()
                .any(|a| ALLERGENS[*a].snomed == med.contraindicated_by)
    }

    /// Plans a prescription for each treated problem (at least two per member).
    pub(super) fn plan_prescriptions(&mut self, rng: &mut Rng) {
        let mut treated: Vec<usize> = Vec::new();
        for (i, v) in self.visits.iter().enumerate() {
            let Some(c) = v.condition else { continue };
            if treated.contains(&c) {
                continue;
            }
            let options: Vec<&'static Med> = self.conditions[c]
                .problem
                .meds
                .iter()
                .map(|rx| med_by_rxnorm(rx))
                .filter(|m| self.allowed(m))
                .collect();
            if options.is_empty() {
                continue;
            }
            let med = *rng.pick(&options);
            let fills = if med.maintenance {
                rng.range(1, 2) as u32
            } else {
                1
            };
            treated.push(c);
            self.prescriptions.push(Prescription {
                med,
                visit: i,
                condition: Some(c),
                fills,
            });
        }
        // Every member has at least two prescriptions: add over-the-counter pain relief
        // ordered at wellness visits when needed.
        let mut i = 0;
        while self.prescriptions.len() < 2 && i < self.visits.len() {
            if self.visits[i].kind == VisitKind::Wellness {
                let med = if self.allowed(&MEDS[17]) {
                    &MEDS[17]
                } else {
                    &MEDS[18]
                };
                self.prescriptions.push(Prescription {
                    med,
                    visit: i,
                    condition: None,
                    fills: 1,
                });
            }
            i += 1;
        }
        self.prescriptions.sort_by_key(|p| p.visit);
    }
}
