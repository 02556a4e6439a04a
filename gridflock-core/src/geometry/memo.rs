//! Booleans remembered by their exact operands, for the tiles of one builder.
//!
//! Many distinct tiles repeat some of the same booleans: the four corner
//! circles of a cell size, the magnet layer's opening, a puzzle half
//! clipped at the same place, the puzzle's pockets. A boolean is a pure
//! function of its operands, so the result kept here is, byte for byte,
//! what computing it again would give, and a plate's bytes do not depend on
//! what the builder built before. Only booleans that repeat are sent here:
//! every result is kept with its operands, which costs memory.

use super::poly::{self, Shapes};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Difference,
    UnionAll,
}

/// Results of booleans computed so far, found by their operands.
#[derive(Default)]
pub(crate) struct Booleans {
    /// By the operands' hash; the operands are compared in full, so a
    /// collision costs a miss, never a wrong result.
    known: HashMap<u64, Vec<Known>, BuildHasherDefault<Mix>>,
}

struct Known {
    op: Op,
    a: Shapes,
    b: Shapes,
    result: Shapes,
}

impl Booleans {
    /// [`poly::difference`], remembered.
    pub(crate) fn difference(&mut self, a: &Shapes, b: &Shapes) -> Shapes {
        self.remembered(Op::Difference, a, b, poly::difference)
    }

    /// [`poly::union_all`], remembered.
    pub(crate) fn union_all(&mut self, a: &Shapes) -> Shapes {
        self.remembered(Op::UnionAll, a, &Vec::new(), |a, _| poly::union_all(a))
    }

    fn remembered(
        &mut self,
        op: Op,
        a: &Shapes,
        b: &Shapes,
        compute: impl FnOnce(&Shapes, &Shapes) -> Shapes,
    ) -> Shapes {
        let bucket = self.known.entry(hash_of(&(op, a, b))).or_default();
        if let Some(known) = bucket.iter().find(|k| k.op == op && k.a == *a && k.b == *b) {
            return known.result.clone();
        }
        let result = compute(a, b);
        bucket.push(Known {
            op,
            a: a.clone(),
            b: b.clone(),
            result: result.clone(),
        });
        result
    }
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = Mix::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A multiply-rotate hash of integer words (the `FxHash` scheme): operands
/// run to thousands of points, and a cryptographic hash of them would cost
/// a fair part of the boolean it saves. Only lookups are made, never
/// iteration, so nothing depends on the hash's order.
#[derive(Default)]
struct Mix(u64);

impl Mix {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let (words, rest) = bytes.as_chunks::<8>();
        for w in words {
            self.add(u64::from_le_bytes(*w));
        }
        for &b in rest {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_i32(&mut self, n: i32) {
        self.add(n as u32 as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::poly::{rect, shape};

    #[test]
    fn a_remembered_boolean_is_the_one_computed() {
        let mut booleans = Booleans::default();
        let a = shape(rect(0, 0, 10_000, 10_000));
        let b = shape(rect(5_000, -1_000, 12_000, 4_000));
        let first = booleans.difference(&a, &b);
        assert_eq!(first, poly::difference(&a, &b));
        assert_eq!(booleans.difference(&a, &b), first);
        // Same operands, other boolean; swapped operands: not the same result.
        assert_eq!(booleans.union_all(&a), poly::union_all(&a));
        assert_eq!(booleans.difference(&b, &a), poly::difference(&b, &a));
        assert_ne!(booleans.difference(&b, &a), first);
    }

    #[test]
    fn colliding_operands_are_told_apart() {
        // Another boolean's result filed under these operands' hash, as a
        // collision would leave it.
        let mut booleans = Booleans::default();
        let a = shape(rect(0, 0, 10_000, 10_000));
        let (b, other) = (
            shape(rect(0, 0, 5_000, 5_000)),
            shape(rect(0, 0, 2_000, 2_000)),
        );
        let filed = Known {
            op: Op::Difference,
            a: a.clone(),
            b: b.clone(),
            result: poly::difference(&a, &b),
        };
        let hash = hash_of(&(Op::Difference, &a, &other));
        booleans.known.entry(hash).or_default().push(filed);
        assert_eq!(
            booleans.difference(&a, &other),
            poly::difference(&a, &other)
        );
    }
}
