//! The small-group rule of a report that breaks a population down into groups (`impact`'s
//! agencies): no group of fewer than `min` people may be read from what is printed, whether
//! from a row, or from the totals minus the rows that are shown. Without the second half, a
//! report showing every agency but one small one gives that one away by subtraction: with one
//! person in it, their bounce or unsubscribe.
//!
//! The whole population is what the report is about and is always shown; only its parts are
//! protected.

use std::ops::AddAssign;

/// A group of people and what the report adds up for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<T> {
    pub name: String,
    /// Distinct people the group's figures are about (no person is in two groups).
    pub people: u64,
    pub figures: T,
}

/// The rows that may be printed beside the totals of `groups`, largest first: each group of at
/// least `min` people by name; the rest merged into one group called `other`, printed when it
/// reaches `min`. When the rest is between 1 and `min - 1` people, the totals minus the printed
/// rows would be it: the smallest printed groups are merged into it until it reaches `min` (or
/// nothing is printed beside the totals).
///
/// So every printed row has at least `min` people, and so does the totals minus any
/// combination of printed rows, unless it is nobody.
pub fn printable<T: Default + AddAssign>(
    groups: impl IntoIterator<Item = Group<T>>,
    min: u64,
    other: &str,
) -> Vec<Group<T>> {
    let mut shown = Vec::new();
    let mut rest = Group {
        name: other.to_string(),
        people: 0,
        figures: T::default(),
    };
    for g in groups {
        if g.people >= min && g.name != other {
            shown.push(g);
        } else {
            merge(&mut rest, g);
        }
    }
    shown.sort_by(|a: &Group<T>, b| b.people.cmp(&a.people).then(a.name.cmp(&b.name)));
    while rest.people > 0 && rest.people < min {
        let Some(smallest) = shown.pop() else {
            break;
        };
        merge(&mut rest, smallest);
    }
    if rest.people >= min {
        shown.push(rest);
    }
    shown
}

fn merge<T: AddAssign>(into: &mut Group<T>, g: Group<T>) {
    into.people += g.people;
    into.figures += g.figures;
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MIN: u64 = 10;

    /// Groups of the given sizes, named `g0`, `g1`, …, whose figures are the set of groups they
    /// cover (one bit a group): what a printed row gives away.
    fn groups(sizes: &[u64]) -> Vec<Group<u32>> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &people)| Group {
                name: format!("g{i}"),
                people,
                figures: 1 << i,
            })
            .collect()
    }

    fn people(sizes: &[u64], mask: u32) -> u64 {
        (0..sizes.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| sizes[i])
            .sum()
    }

    #[test]
    fn the_rest_is_printed_once_it_reaches_the_minimum() {
        let names = |sizes: &[u64]| -> Vec<(String, u64)> {
            printable(groups(sizes), MIN, "other")
                .into_iter()
                .map(|g| (g.name, g.people))
                .collect()
        };
        // 9 + 3 left over: printed as one group.
        assert_eq!(
            names(&[12, 9, 3]),
            [("g0".into(), 12), ("other".into(), 12)]
        );
        // 9 left over would be the totals minus g0: g0 is folded in too.
        assert_eq!(names(&[12, 9]), [("other".to_string(), 21)]);
        // One person left over: the smallest group that is printed takes them in.
        assert_eq!(
            names(&[30, 12, 1]),
            [("g0".into(), 30), ("other".into(), 13)]
        );
        assert_eq!(names(&[10]), [("g0".to_string(), 10)]);
        assert!(names(&[3, 4]).is_empty());
    }

    proptest! {
        /// Over random group sizes: no printed row, and no difference between the totals and
        /// any combination of printed rows, covers between 1 and MIN - 1 people (the whole
        /// population, which the totals print, apart); so none of them is a hidden group below
        /// the minimum.
        #[test]
        fn no_printed_figure_or_difference_reveals_a_small_group(
            sizes in proptest::collection::vec(1u64..25, 0..12)
        ) {
            let all: u32 = (1u32 << sizes.len()) - 1;
            let rows = printable(groups(&sizes), MIN, "other");
            let masks: Vec<u32> = rows.iter().map(|r| r.figures).collect();
            // Rows are disjoint and their people are what they cover.
            let mut seen = 0;
            for (r, &m) in rows.iter().zip(&masks) {
                prop_assert_eq!(seen & m, 0);
                seen |= m;
                prop_assert_eq!(r.people, people(&sizes, m));
                prop_assert!(r.people >= MIN, "a printed row of {} people", r.people);
            }
            // Every printed figure, and the totals minus every combination of printed rows.
            let mut derived: Vec<u32> = masks.clone();
            for subset in 1u32..(1 << rows.len()) {
                let shown = (0..rows.len())
                    .filter(|i| subset & (1 << i) != 0)
                    .fold(0, |acc, i| acc | masks[i]);
                derived.push(all & !shown);
                derived.push(shown);
            }
            for d in derived {
                let n = people(&sizes, d);
                prop_assert!(
                    d == all || n == 0 || n >= MIN,
                    "{n} people readable from the printed figures (sizes {sizes:?}, rows {rows:?})"
                );
            }
            // Groups below the minimum are never printed by name.
            for r in &rows {
                if let Some(i) = r.name.strip_prefix('g') {
                    prop_assert!(sizes[i.parse::<usize>().unwrap()] >= MIN);
                }
            }
        }
    }
}
