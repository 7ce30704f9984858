//! The FHIR data the server serves: the provider directory and formulary (shared), and one
//! record per member, generated on first use and kept. Each resource is serialised once.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use serde_json::Value;

use crate::data;
use crate::fhirtime;
use crate::registry::{Member, Registry};

/// One resource with what searches need precomputed.
#[derive(Debug)]
pub struct StoredResource {
    pub resource_type: String,
    pub id: String,
    /// `meta.lastUpdated` in Unix seconds (for `_since`).
    pub last_updated: i64,
    /// The clinical date's first second (for `start`/`end`); None for Patient.
    pub date: Option<i64>,
    /// The elements searches read ([`SEARCHED_ELEMENTS`]), not the whole resource: a full
    /// `Value` costs ~12x its JSON size, which made 2,000 members take 4 GB.
    pub value: Value,
    /// The resource as served (`application/fhir+json`).
    pub json: Bytes,
}

/// Top-level elements kept in [`StoredResource::value`] for search filters.
pub const SEARCHED_ELEMENTS: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "identifier",
    "name",
    "alias",
    "gender",
    "address",
    "patient",
    "subject",
    "beneficiary",
    "practitioner",
    "organization",
];

impl StoredResource {
    fn new(value: Value) -> StoredResource {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let last_updated = value["meta"]["lastUpdated"]
            .as_str()
            .and_then(fhirtime::period)
            .map_or(0, |p| p.0);
        let date = data::clinical_date(&value)
            .and_then(fhirtime::period)
            .map(|p| p.0);
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        let value = match value {
            Value::Object(mut all) => {
                all.retain(|k, _| SEARCHED_ELEMENTS.contains(&k.as_str()));
                Value::Object(all)
            }
            other => other,
        };
        StoredResource {
            resource_type: text(&value["resourceType"]),
            id: text(&value["id"]),
            last_updated,
            date,
            value,
            json,
        }
    }
}

/// An ordered set of resources with a `Type/id` index.
#[derive(Debug, Default)]
pub struct ResourceSet {
    items: Vec<StoredResource>,
    index: HashMap<(String, String), usize>,
}

impl ResourceSet {
    /// Stores `values` in order.
    pub fn new(values: Vec<Value>) -> ResourceSet {
        let items: Vec<StoredResource> = values.into_iter().map(StoredResource::new).collect();
        let index = items
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.resource_type.clone(), r.id.clone()), i))
            .collect();
        ResourceSet { items, index }
    }

    /// A resource by type and id.
    pub fn get(&self, resource_type: &str, id: &str) -> Option<&StoredResource> {
        // Borrowed lookup without allocating a key tuple would need a custom key type;
        // the two small allocations are cheap next to the response write.
        self.index
            .get(&(resource_type.to_string(), id.to_string()))
            .map(|&i| &self.items[i])
    }

    /// Every resource, in record order.
    pub fn all(&self) -> &[StoredResource] {
        &self.items
    }

    /// Resources of one type, in record order.
    pub fn of_type<'a>(
        &'a self,
        resource_type: &'a str,
    ) -> impl Iterator<Item = &'a StoredResource> + 'a {
        self.items
            .iter()
            .filter(move |r| r.resource_type == resource_type)
    }
}

/// All served data.
#[derive(Debug)]
pub struct DataStore {
    seed: u64,
    /// Provider directory and formulary resources, shared by all callers.
    pub shared: ResourceSet,
    records: DashMap<String, Arc<ResourceSet>>,
    /// `Type/id` of every generated compartment resource -> owning patient id.
    owners: DashMap<String, String>,
}

impl DataStore {
    /// Generates the shared data and the records of the fixture (sandbox) members; generated
    /// load-test members get their records on first use.
    pub fn new(seed: u64, registry: &Registry, eager_members: usize) -> DataStore {
        let mut shared = data::directory(seed);
        shared.extend(data::formulary(seed));
        let store = DataStore {
            seed,
            shared: ResourceSet::new(shared),
            records: DashMap::new(),
            owners: DashMap::new(),
        };
        for member in registry.members().iter().take(eager_members) {
            store.record(member);
        }
        store
    }

    /// The member's whole compartment, generating it the first time.
    pub fn record(&self, member: &Member) -> Arc<ResourceSet> {
        if let Some(r) = self.records.get(&member.patient_id) {
            return r.clone();
        }
        let profile = data::MemberProfile {
            index: member.index,
            patient_id: &member.patient_id,
        };
        let set = Arc::new(ResourceSet::new(data::patient_record(self.seed, &profile)));
        for r in set.all() {
            self.owners.insert(
                format!("{}/{}", r.resource_type, r.id),
                member.patient_id.clone(),
            );
        }
        self.records
            .entry(member.patient_id.clone())
            .or_insert(set)
            .clone()
    }

    /// The patient whose compartment holds `Type/id`, among records generated so far.
    pub fn owner_of(&self, resource_type: &str, id: &str) -> Option<String> {
        self.owners
            .get(&format!("{resource_type}/{id}"))
            .map(|o| o.clone())
    }
}
