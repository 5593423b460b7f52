//! The music library on disk: what each audio file is ([`audio`]) and the
//! index of the files under `[library] path` ([`scan`]), which is what
//! "owned" means: an album is owned when its files are there.

pub mod audio;
pub mod index;
pub mod owned;
pub mod quality;
pub mod scan;
