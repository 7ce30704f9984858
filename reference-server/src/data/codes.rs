//! Clinical code tables: problems (SNOMED CT + ICD-10-CM), medications (RxNorm), allergies,
//! procedures (SNOMED CT + CPT) and vaccines (CVX).
//!
//! Codes are real codes of their code systems; which ones appear together (a problem and its
//! usual drug, a visit and its procedures) is our own simplification of common practice.

/// A problem a member may have, with the drugs usually prescribed for it.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) snomed: &'static str,
    pub(crate) display: &'static str,
    pub(crate) icd10: &'static str,
    pub(crate) icd10_display: &'static str,
    /// Youngest age, in years, at which the problem is generated.
    pub(crate) min_age: i64,
    /// RxNorm codes (in `MEDS`) one of which treats it; empty when none is prescribed.
    pub(crate) meds: &'static [&'static str],
}

const fn problem(
    snomed: &'static str,
    display: &'static str,
    icd10: &'static str,
    icd10_display: &'static str,
    min_age: i64,
    meds: &'static [&'static str],
) -> Problem {
    Problem {
        snomed,
        display,
        icd10,
        icd10_display,
        min_age,
        meds,
    }
}

/// Long-standing problems, recorded on the problem list.
#[rustfmt::skip]
pub(crate) const CHRONIC: &[Problem] = &[
    problem("59621000", "Essential hypertension (disorder)", "I10", "Essential (primary) hypertension", 30, &["314076", "197361", "310798"]),
    problem("44054006", "Diabetes mellitus type 2 (disorder)", "E11.9", "Type 2 diabetes mellitus without complications", 30, &["860975"]),
    problem("55822004", "Hyperlipidemia (disorder)", "E78.5", "Hyperlipidemia, unspecified", 30, &["314231", "259255"]),
    problem("195967001", "Asthma (disorder)", "J45.909", "Unspecified asthma, uncomplicated", 3, &["745679", "895994"]),
    problem("40930008", "Hypothyroidism (disorder)", "E03.9", "Hypothyroidism, unspecified", 18, &["966222"]),
    problem("36923009", "Major depression, single episode (disorder)", "F32.9", "Major depressive disorder, single episode, unspecified", 14, &["312938"]),
    problem("197480006", "Anxiety disorder (disorder)", "F41.9", "Anxiety disorder, unspecified", 12, &[]),
    problem("239873007", "Osteoarthritis of knee (disorder)", "M17.9", "Osteoarthritis of knee, unspecified", 45, &["849574"]),
    problem("162864005", "Body mass index 30+ - obesity (finding)", "E66.9", "Obesity, unspecified", 18, &[]),
    problem("61582004", "Allergic rhinitis (disorder)", "J30.9", "Allergic rhinitis, unspecified", 3, &["1014676"]),
    problem("49436004", "Atrial fibrillation (disorder)", "I48.91", "Unspecified atrial fibrillation", 55, &["866924"]),
    problem("87522002", "Iron deficiency anemia (disorder)", "D50.9", "Iron deficiency anemia, unspecified", 1, &["310325"]),
    problem("714628002", "Prediabetes (finding)", "R73.03", "Prediabetes", 18, &[]),
    problem("235595009", "Gastroesophageal reflux disease (disorder)", "K21.9", "Gastro-esophageal reflux disease without esophagitis", 18, &[]),
];

/// Indexes into `CHRONIC` of the problems whose follow-up visits order labs or procedures.
pub(crate) mod chronic {
    pub(crate) const HYPERTENSION: usize = 0;
    pub(crate) const DIABETES: usize = 1;
    pub(crate) const HYPERLIPIDEMIA: usize = 2;
    pub(crate) const ASTHMA: usize = 3;
    pub(crate) const HYPOTHYROIDISM: usize = 4;
    pub(crate) const ATRIAL_FIBRILLATION: usize = 10;
    pub(crate) const ANEMIA: usize = 11;
}

/// Short illnesses and injuries, recorded as encounter diagnoses.
#[rustfmt::skip]
pub(crate) const ACUTE: &[Problem] = &[
    problem("195662009", "Acute viral pharyngitis (disorder)", "J02.9", "Acute pharyngitis, unspecified", 2, &["310965", "313782"]),
    problem("43878008", "Streptococcal sore throat (disorder)", "J02.0", "Streptococcal pharyngitis", 2, &["308182", "834061"]),
    problem("10509002", "Acute bronchitis (disorder)", "J20.9", "Acute bronchitis, unspecified", 2, &["313782"]),
    problem("444814009", "Viral sinusitis (disorder)", "J01.90", "Acute sinusitis, unspecified", 2, &["313782"]),
    problem("68566005", "Urinary tract infectious disease (disorder)", "N39.0", "Urinary tract infection, site not specified", 5, &[]),
    problem("44465007", "Sprain of ankle (disorder)", "S93.409A", "Sprain of unspecified ligament of unspecified ankle, initial encounter", 5, &["310965"]),
];

/// Problems that send a member to the emergency department.
#[rustfmt::skip]
pub(crate) const EMERGENCY: &[Problem] = &[
    problem("233604007", "Pneumonia (disorder)", "J18.9", "Pneumonia, unspecified organism", 1, &["562251"]),
    problem("29857009", "Chest pain (finding)", "R07.9", "Chest pain, unspecified", 18, &["243670"]),
    problem("74400008", "Appendicitis (disorder)", "K37", "Unspecified appendicitis", 5, &["313782"]),
];

/// A drug: RxNorm code and name, how it is taken, and a fill.
#[derive(Debug)]
pub(crate) struct Med {
    pub(crate) rxnorm: &'static str,
    pub(crate) display: &'static str,
    pub(crate) sig: &'static str,
    pub(crate) days_supply: u32,
    pub(crate) quantity: u32,
    /// Cost of one fill in cents.
    pub(crate) cost: i64,
    /// True when taken for months (refilled), false for a short course.
    pub(crate) maintenance: bool,
    /// SNOMED substance code of an allergy that rules the drug out; empty when none.
    pub(crate) contraindicated_by: &'static str,
}

const fn med(
    rxnorm: &'static str,
    display: &'static str,
    sig: &'static str,
    days_supply: u32,
    quantity: u32,
    cost: i64,
    maintenance: bool,
) -> Med {
    Med {
        rxnorm,
        display,
        sig,
        days_supply,
        quantity,
        cost,
        maintenance,
        contraindicated_by: "",
    }
}

const PENICILLIN: &str = "764146007";

/// Every drug the generator prescribes; the formulary lists all of them.
#[rustfmt::skip]
pub(crate) const MEDS: &[Med] = &[
    med("314076", "lisinopril 10 MG Oral Tablet", "Take 1 tablet by mouth once daily", 30, 30, 1_200, true),
    med("197361", "amlodipine 5 MG Oral Tablet", "Take 1 tablet by mouth once daily", 30, 30, 1_100, true),
    med("310798", "hydrochlorothiazide 25 MG Oral Tablet", "Take 1 tablet by mouth every morning", 30, 30, 900, true),
    med("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", "Take 1 tablet by mouth daily with the evening meal", 30, 30, 1_500, true),
    med("314231", "simvastatin 10 MG Oral Tablet", "Take 1 tablet by mouth at bedtime", 30, 30, 1_000, true),
    med("259255", "atorvastatin 80 MG Oral Tablet", "Take 1 tablet by mouth once daily", 30, 30, 2_400, true),
    med("745679", "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", "Inhale 2 puffs every 4 to 6 hours as needed for wheezing", 30, 1, 5_800, true),
    med("895994", "120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler", "Inhale 2 puffs twice daily", 30, 1, 21_000, true),
    med("966222", "levothyroxine sodium 0.075 MG Oral Tablet", "Take 1 tablet by mouth every morning before breakfast", 30, 30, 1_300, true),
    med("312938", "sertraline 100 MG Oral Tablet", "Take 1 tablet by mouth once daily", 30, 30, 1_600, true),
    med("849574", "naproxen sodium 220 MG Oral Tablet", "Take 1 tablet by mouth every 8 to 12 hours as needed for pain", 30, 60, 800, true),
    med("1014676", "cetirizine hydrochloride 5 MG Oral Tablet", "Take 1 tablet by mouth once daily", 30, 30, 700, true),
    med("866924", "metoprolol tartrate 25 MG Oral Tablet", "Take 1 tablet by mouth twice daily", 30, 60, 1_400, true),
    med("310325", "ferrous sulfate 325 MG Oral Tablet", "Take 1 tablet by mouth once daily with food", 30, 30, 500, true),
    Med { contraindicated_by: PENICILLIN, ..med("308182", "amoxicillin 250 MG Oral Capsule", "Take 2 capsules by mouth every 12 hours for 10 days", 10, 40, 1_200, false) },
    Med { contraindicated_by: PENICILLIN, ..med("834061", "penicillin V potassium 250 MG Oral Tablet", "Take 1 tablet by mouth 4 times daily for 10 days", 10, 40, 1_300, false) },
    Med { contraindicated_by: PENICILLIN, ..med("562251", "amoxicillin 250 MG / clavulanate 125 MG Oral Tablet", "Take 1 tablet by mouth every 8 hours for 7 days", 7, 21, 3_200, false) },
    med("310965", "ibuprofen 200 MG Oral Tablet", "Take 2 tablets by mouth every 6 hours as needed for pain", 10, 40, 600, false),
    med("313782", "acetaminophen 325 MG Oral Tablet", "Take 2 tablets by mouth every 6 hours as needed for pain or fever", 10, 40, 500, false),
    med("243670", "aspirin 81 MG Oral Tablet", "Take 1 tablet by mouth once daily", 30, 30, 400, true),
];

/// The drug with the given RxNorm code (the first drug when the code is unknown).
pub(crate) fn med_by_rxnorm(rxnorm: &str) -> &'static Med {
    MEDS.iter().find(|m| m.rxnorm == rxnorm).unwrap_or(&MEDS[0])
}

/// An allergy or intolerance: substance, category, usual reaction, criticality.
#[derive(Debug)]
pub(crate) struct Allergen {
    pub(crate) snomed: &'static str,
    pub(crate) display: &'static str,
    pub(crate) category: &'static str,
    pub(crate) reaction: &'static str,
    pub(crate) reaction_display: &'static str,
    pub(crate) criticality: &'static str,
}

const fn allergen(
    snomed: &'static str,
    display: &'static str,
    category: &'static str,
    reaction: &'static str,
    reaction_display: &'static str,
    criticality: &'static str,
) -> Allergen {
    Allergen {
        snomed,
        display,
        category,
        reaction,
        reaction_display,
        criticality,
    }
}

/// Substances members are allergic to.
#[rustfmt::skip]
pub(crate) const ALLERGENS: &[Allergen] = &[
    allergen(PENICILLIN, "Penicillin (substance)", "medication", "271807003", "Eruption of skin (disorder)", "high"),
    allergen("387406002", "Sulfonamide (substance)", "medication", "271807003", "Eruption of skin (disorder)", "low"),
    allergen("387207008", "Ibuprofen (substance)", "medication", "247472004", "Wheal (finding)", "low"),
    allergen("256349002", "Peanut - dietary (substance)", "food", "39579001", "Anaphylaxis (disorder)", "high"),
    allergen("227493005", "Cashew nut (substance)", "food", "39579001", "Anaphylaxis (disorder)", "high"),
    allergen("102263004", "Eggs (edible) (substance)", "food", "271807003", "Eruption of skin (disorder)", "low"),
    allergen("256259004", "Pollen (substance)", "environment", "76067001", "Sneezing (finding)", "low"),
    allergen("260147004", "House dust mite (substance)", "environment", "76067001", "Sneezing (finding)", "low"),
    allergen("111088007", "Latex (substance)", "environment", "247472004", "Wheal (finding)", "high"),
    allergen("264287008", "Animal dander (substance)", "environment", "76067001", "Sneezing (finding)", "low"),
];

/// A procedure: SNOMED CT and CPT codes and a charge in cents.
#[derive(Debug)]
pub(crate) struct Proc {
    pub(crate) snomed: &'static str,
    pub(crate) display: &'static str,
    pub(crate) cpt: &'static str,
    pub(crate) cpt_display: &'static str,
    pub(crate) charge: i64,
}

const fn proc_(
    snomed: &'static str,
    display: &'static str,
    cpt: &'static str,
    cpt_display: &'static str,
    charge: i64,
) -> Proc {
    Proc {
        snomed,
        display,
        cpt,
        cpt_display,
        charge,
    }
}

/// Procedures, referred to by the constants in [`procs`].
#[rustfmt::skip]
pub(crate) const PROCS: &[Proc] = &[
    proc_("171207006", "Depression screening (procedure)", "96127", "Brief emotional/behavioral assessment", 3_500),
    proc_("82078001", "Collection of blood specimen for laboratory (procedure)", "36415", "Collection of venous blood by venipuncture", 1_500),
    proc_("117015009", "Throat culture (procedure)", "87880", "Streptococcus group A antigen detection by immunoassay", 4_500),
    proc_("399208008", "Plain chest X-ray (procedure)", "71046", "Radiologic examination, chest; 2 views", 18_000),
    proc_("29303009", "Electrocardiographic procedure (procedure)", "93000", "Electrocardiogram, routine, with at least 12 leads; with interpretation and report", 9_000),
    proc_("73761001", "Colonoscopy (procedure)", "45378", "Colonoscopy, flexible; diagnostic", 210_000),
    proc_("24623002", "Screening mammography (procedure)", "77067", "Screening mammography, bilateral, including computer-aided detection", 25_000),
    proc_("80146002", "Appendectomy (procedure)", "44970", "Laparoscopy, surgical, appendectomy", 950_000),
    proc_("127783003", "Spirometry (procedure)", "94010", "Spirometry, including graphic record, total and timed vital capacity", 7_500),
    proc_("168537006", "Plain radiography (procedure)", "73610", "Radiologic examination, ankle; complete, minimum of 3 views", 15_000),
    proc_("33879002", "Administration of vaccine to produce active immunity (procedure)", "90471", "Immunization administration; 1 vaccine", 2_500),
];

/// Indexes into [`PROCS`].
pub(crate) mod procs {
    pub(crate) const DEPRESSION_SCREENING: usize = 0;
    pub(crate) const BLOOD_DRAW: usize = 1;
    pub(crate) const THROAT_CULTURE: usize = 2;
    pub(crate) const CHEST_XRAY: usize = 3;
    pub(crate) const ECG: usize = 4;
    pub(crate) const COLONOSCOPY: usize = 5;
    pub(crate) const MAMMOGRAPHY: usize = 6;
    pub(crate) const APPENDECTOMY: usize = 7;
    pub(crate) const SPIROMETRY: usize = 8;
    pub(crate) const ANKLE_XRAY: usize = 9;
    pub(crate) const VACCINE_ADMINISTRATION: usize = 10;
}

/// A vaccine (CVX) and the ages, in years, at which it is given.
#[derive(Debug)]
pub(crate) struct Vaccine {
    pub(crate) cvx: &'static str,
    pub(crate) display: &'static str,
    pub(crate) min_age: i64,
    pub(crate) max_age: i64,
}

/// Seasonal influenza, given every year.
pub(crate) const FLU: Vaccine = Vaccine {
    cvx: "140",
    display: "Influenza, seasonal, injectable, preservative free",
    min_age: 1,
    max_age: 120,
};

/// Vaccines given once at some age.
#[rustfmt::skip]
pub(crate) const VACCINES: &[Vaccine] = &[
    Vaccine { cvx: "03", display: "measles, mumps and rubella virus vaccine", min_age: 4, max_age: 6 },
    Vaccine { cvx: "21", display: "varicella virus vaccine", min_age: 4, max_age: 6 },
    Vaccine { cvx: "20", display: "diphtheria, tetanus toxoids and acellular pertussis vaccine", min_age: 4, max_age: 6 },
    Vaccine { cvx: "115", display: "tetanus toxoid, reduced diphtheria toxoid, and acellular pertussis vaccine, adsorbed", min_age: 11, max_age: 120 },
    Vaccine { cvx: "165", display: "human papilloma virus 9-valent vaccine", min_age: 9, max_age: 26 },
    Vaccine { cvx: "114", display: "meningococcal polysaccharide (groups A, C, Y and W-135) diphtheria toxoid conjugate vaccine (MCV4P)", min_age: 11, max_age: 18 },
    Vaccine { cvx: "208", display: "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose", min_age: 12, max_age: 120 },
    Vaccine { cvx: "187", display: "zoster vaccine recombinant", min_age: 50, max_age: 120 },
    Vaccine { cvx: "133", display: "Pneumococcal conjugate vaccine, 13 valent", min_age: 65, max_age: 120 },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_drug_is_in_the_drug_table() {
        for p in CHRONIC.iter().chain(ACUTE).chain(EMERGENCY) {
            for rx in p.meds {
                assert!(MEDS.iter().any(|m| m.rxnorm == *rx), "{rx} missing");
            }
        }
        assert_eq!(CHRONIC[chronic::DIABETES].icd10, "E11.9");
        assert_eq!(CHRONIC[chronic::ANEMIA].icd10, "D50.9");
        assert_eq!(PROCS[procs::ANKLE_XRAY].cpt, "73610");
        assert_eq!(PROCS[procs::VACCINE_ADMINISTRATION].cpt, "90471");
        assert_eq!(CHRONIC[chronic::HYPERTENSION].icd10, "I10");
    }
}
