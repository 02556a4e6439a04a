//! Writers: binary and ASCII STL, 3MF. Byte-identical output on every target.

pub mod arrange;
pub mod stl;
pub mod threemf;
