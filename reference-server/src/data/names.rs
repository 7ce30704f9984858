//! Names, places and contact details for synthetic people and organizations.
//!
//! The lists are our own: common US given and family names, and real towns of Minnesota and
//! its neighbouring states with plausible ZIP codes and area codes. Phone numbers use the
//! 555-01xx block reserved for fiction; e-mail addresses use `example.com`.

use serde_json::Value;

use super::fhir::jv;

use super::rng::Rng;

/// Given names typically given to girls.
#[rustfmt::skip]
pub(crate) const FEMALE_GIVEN: &[&str] = &[
    "Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper", "Evelyn",
    "Abigail", "Emily", "Elizabeth", "Sofia", "Avery", "Ella", "Madison", "Scarlett", "Grace",
    "Chloe", "Linnea", "Ingrid", "Astrid", "Margaret", "Dorothy", "Helen", "Ruth", "Barbara",
    "Patricia", "Linda", "Susan", "Karen", "Nancy", "Sandra", "Deborah", "Sharon", "Maria",
    "Fatima", "Hodan", "Mai", "Pa Houa", "Lucia", "Rosa", "Hannah", "Julia", "Leah",
];

/// Given names typically given to boys.
#[rustfmt::skip]
pub(crate) const MALE_GIVEN: &[&str] = &[
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry",
    "Theodore", "Jack", "Levi", "Alexander", "Jackson", "Mateo", "Daniel", "Michael", "Mason",
    "Sebastian", "Ethan", "Erik", "Lars", "Anders", "Robert", "John", "Richard", "Thomas",
    "Charles", "Gary", "Donald", "Kenneth", "Dennis", "Gerald", "Wayne", "Mohamed", "Abdi", "Tou",
    "Pao", "Luis", "Carlos", "Samuel", "David", "Joseph", "Andrew", "Nathan", "Owen",
];

/// Middle initials.
#[rustfmt::skip]
const INITIALS: &[&str] = &[
    "A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "J.", "K.", "L.", "M.", "N.", "P.", "R.", "S.",
    "T.", "W.",
];

/// Family names.
#[rustfmt::skip]
pub(crate) const FAMILY: &[&str] = &[
    "Anderson", "Johnson", "Olson", "Nelson", "Peterson", "Larson", "Hanson", "Swanson", "Carlson",
    "Lindgren", "Schmidt", "Mueller", "Nguyen", "Vang", "Xiong", "Lor", "Thao", "Moua", "Hassan",
    "Ali", "Mohamed", "Garcia", "Martinez", "Hernandez", "Lopez", "Kowalski", "Novak", "Smith",
    "Brown", "Miller", "Davis", "Wilson", "Moore", "Taylor", "Thomas", "Jackson", "White", "Harris",
    "Martin", "Thompson", "Robinson", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King",
    "Wright", "Scott", "Green", "Baker", "Adams", "Hill", "Campbell", "Mitchell", "Roberts",
    "Carter", "Evans", "Turner", "Parker", "Collins", "Stewart", "Murphy", "Cook", "Morgan",
    "Bailey", "Reed", "Kelly", "Howard", "Ward", "Brooks", "Gray", "Bennett", "Hoffman", "Wagner",
    "Becker", "Schultz", "Krueger", "Bauer", "Lund", "Berg", "Dahl", "Strand", "Halvorson",
    "Sorensen", "Jensen", "Christensen", "Patel", "Kim",
];

/// A town: name, state, ZIP codes, telephone area code, approximate latitude and longitude.
#[derive(Debug)]
pub(crate) struct Town {
    pub(crate) name: &'static str,
    pub(crate) state: &'static str,
    pub(crate) zips: &'static [&'static str],
    pub(crate) area_code: &'static str,
    pub(crate) position: (f64, f64),
}

const fn town(
    name: &'static str,
    state: &'static str,
    zips: &'static [&'static str],
    area_code: &'static str,
    position: (f64, f64),
) -> Town {
    Town {
        name,
        state,
        zips,
        area_code,
        position,
    }
}

/// Towns of Minnesota (most members) and of the neighbouring states.
#[rustfmt::skip]
pub(crate) const TOWNS: &[Town] = &[
    town("Minneapolis", "MN", &["55401", "55406", "55408", "55411", "55418"], "612", (44.98, -93.27)),
    town("Saint Paul", "MN", &["55101", "55104", "55105", "55116", "55119"], "651", (44.95, -93.09)),
    town("Bloomington", "MN", &["55420", "55425", "55431", "55437"], "952", (44.84, -93.30)),
    town("Rochester", "MN", &["55901", "55902", "55904", "55906"], "507", (44.02, -92.47)),
    town("Duluth", "MN", &["55802", "55803", "55805", "55811"], "218", (46.79, -92.10)),
    town("Brooklyn Park", "MN", &["55428", "55443", "55445"], "763", (45.09, -93.36)),
    town("Plymouth", "MN", &["55441", "55446", "55447"], "763", (45.01, -93.46)),
    town("Maple Grove", "MN", &["55311", "55369"], "763", (45.07, -93.46)),
    town("Woodbury", "MN", &["55125", "55129"], "651", (44.92, -92.96)),
    town("Saint Cloud", "MN", &["56301", "56303", "56304"], "320", (45.56, -94.16)),
    town("Eagan", "MN", &["55121", "55122", "55123"], "651", (44.80, -93.17)),
    town("Eden Prairie", "MN", &["55344", "55346", "55347"], "952", (44.85, -93.47)),
    town("Burnsville", "MN", &["55306", "55337"], "952", (44.77, -93.28)),
    town("Coon Rapids", "MN", &["55433", "55448"], "763", (45.12, -93.30)),
    town("Edina", "MN", &["55424", "55435", "55436", "55439"], "952", (44.89, -93.35)),
    town("Minnetonka", "MN", &["55305", "55343", "55345"], "952", (44.92, -93.47)),
    town("Mankato", "MN", &["56001", "56003"], "507", (44.16, -94.00)),
    town("Moorhead", "MN", &["56560"], "218", (46.87, -96.77)),
    town("Shakopee", "MN", &["55379"], "952", (44.80, -93.53)),
    town("Winona", "MN", &["55987"], "507", (44.05, -91.64)),
    town("Owatonna", "MN", &["55060"], "507", (44.08, -93.23)),
    town("Willmar", "MN", &["56201"], "320", (45.12, -95.04)),
    town("Bemidji", "MN", &["56601"], "218", (47.47, -94.88)),
    town("Brainerd", "MN", &["56401"], "218", (46.36, -94.20)),
    town("Northfield", "MN", &["55057"], "507", (44.46, -93.16)),
    town("Alexandria", "MN", &["56308"], "320", (45.89, -95.38)),
    town("Eau Claire", "WI", &["54701", "54703"], "715", (44.81, -91.50)),
    town("La Crosse", "WI", &["54601", "54603"], "608", (43.80, -91.24)),
    town("Hudson", "WI", &["54016"], "715", (44.97, -92.76)),
    town("Superior", "WI", &["54880"], "715", (46.72, -92.10)),
    town("Fargo", "ND", &["58102", "58103", "58104"], "701", (46.88, -96.79)),
    town("Grand Forks", "ND", &["58201", "58203"], "701", (47.93, -97.03)),
    town("Sioux Falls", "SD", &["57103", "57105", "57106", "57108"], "605", (43.54, -96.73)),
    town("Mason City", "IA", &["50401"], "641", (43.15, -93.20)),
    town("Decorah", "IA", &["52101"], "563", (43.30, -91.79)),
];

/// How many of the first `TOWNS` are in Minnesota.
pub(crate) const MN_TOWNS: usize = 26;

#[rustfmt::skip]
const STREETS: &[&str] = &[
    "Lake", "Maple", "Oak", "Cedar", "Pine", "Birch", "Elm", "Summit", "Grand", "Hennepin",
    "Lyndale", "Nicollet", "Como", "Snelling", "Highland", "Prairie", "Meadow", "River", "Valley",
    "Park", "Lincoln", "Washington", "Franklin", "Jefferson", "Hillcrest", "Ridge", "Sunset",
    "Willow", "Aspen", "Tamarack", "Spruce", "Lakeview", "Bluff", "Harbor", "Mill",
];

#[rustfmt::skip]
const STREET_KINDS: &[&str] = &["St", "Ave", "Blvd", "Dr", "Ln", "Rd", "Way", "Ct", "Pkwy"];

/// A synthetic person's name and sex.
#[derive(Debug, Clone)]
pub(crate) struct PersonName {
    pub(crate) female: bool,
    pub(crate) given: &'static str,
    pub(crate) middle: &'static str,
    pub(crate) family: &'static str,
}

impl PersonName {
    /// A random name of a random sex.
    pub(crate) fn random(rng: &mut Rng) -> PersonName {
        let female = rng.chance(50);
        let given = if female {
            *rng.pick(FEMALE_GIVEN)
        } else {
            *rng.pick(MALE_GIVEN)
        };
        PersonName {
            female,
            given,
            middle: INITIALS[rng.index(INITIALS.len())],
            family: FAMILY[rng.index(FAMILY.len())],
        }
    }

    /// FHIR `HumanName` (official use).
    pub(crate) fn human_name(&self) -> Value {
        jv!({
            "use": "official",
            "text": format!("{} {} {}", self.given, self.middle, self.family),
            "family": self.family,
            "given": [self.given, self.middle],
        })
    }
}

/// A street address in a town.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub(crate) line: String,
    pub(crate) town: &'static Town,
    pub(crate) zip: &'static str,
}

impl Place {
    /// A random address; `mn_share` percent of them are in Minnesota.
    pub(crate) fn random(rng: &mut Rng, mn_share: u64) -> Place {
        let town = if rng.chance(mn_share) {
            &TOWNS[rng.index(MN_TOWNS)]
        } else {
            &TOWNS[MN_TOWNS + rng.index(TOWNS.len() - MN_TOWNS)]
        };
        Place::in_town(rng, town)
    }

    /// A random street address in the given town.
    pub(crate) fn in_town(rng: &mut Rng, town: &'static Town) -> Place {
        let line = format!(
            "{} {} {}",
            rng.range(100, 9899),
            rng.pick(STREETS),
            rng.pick(STREET_KINDS)
        );
        Place {
            line,
            town,
            zip: town.zips[rng.index(town.zips.len())],
        }
    }

    /// FHIR `Address` with the given use (`home`, `work`).
    pub(crate) fn address(&self, use_: &str) -> Value {
        jv!({
            "use": use_,
            "type": "physical",
            "line": [self.line.as_str()],
            "city": self.town.name,
            "state": self.town.state,
            "postalCode": self.zip,
            "country": "US",
        })
    }

    /// A fictional (555-01xx) telephone number in the town's area code.
    pub(crate) fn phone(&self, rng: &mut Rng) -> String {
        format!("({}) 555-{:04}", self.town.area_code, 100 + rng.below(100))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minnesota_towns_come_first() {
        assert!(TOWNS[..MN_TOWNS].iter().all(|t| t.state == "MN"));
        assert!(TOWNS[MN_TOWNS..].iter().all(|t| t.state != "MN"));
    }

    #[test]
    fn addresses_are_complete() {
        let mut rng = Rng::new(3);
        let place = Place::random(&mut rng, 80);
        let addr = place.address("home");
        assert_eq!(addr["postalCode"].as_str().map(str::len), Some(5));
        assert!(place.phone(&mut rng).contains(" 555-01"));
    }
}
