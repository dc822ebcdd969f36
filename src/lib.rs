//! Salespane extension core.
