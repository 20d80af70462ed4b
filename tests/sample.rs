//! The bundled sample dataset, end to end.
