//! verdict's Python bindings: the `verdict._native` extension module under the `verdict`
//! package (python/verdict). Every number comes from the same crates the `verdict` command
//! runs; this crate only converts between Python objects and their types.
//!
//! The FFI is PyO3's: its macros hold the unsafe code of the boundary, so this crate forbids
//! `unsafe` like every other.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use pyo3::prelude::*;

mod api;
mod cli;
mod errors;
mod scorer;
mod spec;

/// The `verdict._native` module.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(module)?;
    api::register(module)?;
    scorer::register(module)?;
    cli::register(module)?;
    Ok(())
}
