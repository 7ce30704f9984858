//! `results.json`: the whole results model, serialised as is (the model's field docs are its
//! documentation), plus a format version so consumers can tell changes apart.

use serde::Serialize;

use super::model::{RunResult, Tally};

/// Version of the `results.json` format.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    format_version: u32,
    outcome: super::model::Outcome,
    tally: Tally,
    #[serde(flatten)]
    run: &'a RunResult,
}

/// The JSON document of a run.
pub fn write_json(run: &RunResult) -> Result<String, String> {
    let doc = Document {
        format_version: FORMAT_VERSION,
        outcome: run.outcome(),
        tally: run.tally(),
        run,
    };
    serde_json::to_string_pretty(&doc).map_err(|e| format!("cannot write results.json: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_run_is_an_error_with_a_zero_tally() {
        let run = RunResult {
            target: "reference".into(),
            duration_ms: 0,
            cases: vec![],
        };
        let v: serde_json::Value = serde_json::from_str(&write_json(&run).unwrap()).unwrap();
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["outcome"], "error");
        assert_eq!(v["tally"]["pass"], 0);
        assert_eq!(v["target"], "reference");
    }
}
