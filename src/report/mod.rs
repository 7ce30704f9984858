//! The results model every reporter reads, and one module per format.

pub mod clause_rows;
pub mod html;
pub mod json;
pub mod junit;
pub mod model;

use std::path::{Path, PathBuf};

/// Why a report could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A report template is broken or does not render (a bug of ours).
    #[error("{name}: {detail}")]
    Template { name: &'static str, detail: String },
    #[error("cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write JUnit XML: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ReportError {
    /// A template error of `name` with tera's whole chain of causes.
    pub fn template(name: &'static str, e: &tera::Error) -> ReportError {
        let detail = crate::exit::with_causes(e);
        ReportError::Template { name, detail }
    }
}

/// Writes each `(file name, text)` into `out`, created if needed: the one writer of the
/// conformance, self-test and load reports.
pub fn write_files(out: &Path, files: &[(&str, String)]) -> Result<(), ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(())
}
