//! Cell suppression of a table of counts with its totals (ADR 0011).
//!
//! The table is a grid whose last row and last column are the totals. Primary suppression
//! hides every cell counting at least one but fewer than the minimum. Complementary
//! suppression then hides more cells until no hidden cell can be worked out from the shown
//! ones and the totals:
//!
//! - Each row and column of the grid is one equation (its cells add up to its total). Hidden
//!   cells are the unknowns. Writing the totals with a minus sign, every row and column sums to
//!   zero, so the unknowns form a bipartite graph (rows and columns as nodes, hidden cells as
//!   edges) and the solutions differ by alternating sums around its cycles. A hidden cell is
//!   determined exactly when it lies on no cycle: when it is a bridge. So while some hidden
//!   cell is a bridge, the cheapest rectangle through it (three more cells, least total count)
//!   is hidden too, which puts it on a 4-cycle.
//! - A line whose hidden cells add up to fewer than the minimum would tell that each of them is
//!   small; such a line hides one more cell.
//! - Cells counting zero are hidden only when nothing else is left: a hidden zero bounds its
//!   neighbours (counts are not negative) and can give a primary cell away.
//!
//! A table of one dimension is a single equation (its cells add up to the total): it hides at
//! least two of them and at least the minimum in sum.

/// Which cells of `grid` to hide. `grid` has the totals in its last row and last column; a
/// table of one dimension is a single column whose last cell is the total.
pub fn suppress(grid: &[Vec<u64>], min: u64) -> Vec<Vec<bool>> {
    let mut hidden: Vec<Vec<bool>> = grid
        .iter()
        .map(|row| row.iter().map(|v| (1..min).contains(v)).collect())
        .collect();
    let columns = grid.first().map_or(0, Vec::len);
    if grid.is_empty() || columns == 0 {
        return hidden;
    }
    if columns == 1 {
        let cells: Vec<(usize, usize)> = (0..grid.len()).map(|r| (r, 0)).collect();
        while protect_line(grid, &mut hidden, &cells, min) {}
        return hidden;
    }
    loop {
        let mut changed = false;
        for line in lines(grid.len(), columns) {
            changed |= protect_line(grid, &mut hidden, &line, min);
        }
        if let Some((r, c)) = find_bridge(&hidden) {
            close_rectangle(grid, &mut hidden, r, c);
            changed = true;
        }
        if !changed {
            return hidden;
        }
    }
}

/// Every row and every column of a grid, as cell positions.
fn lines(rows: usize, columns: usize) -> Vec<Vec<(usize, usize)>> {
    let by_row = (0..rows).map(|r| (0..columns).map(|c| (r, c)).collect());
    let by_column = (0..columns).map(|c| (0..rows).map(|r| (r, c)).collect());
    by_row.chain(by_column).collect()
}

/// In one equation, hides the cheapest shown cell when exactly one is hidden or the hidden
/// ones add up to less than `min`. Whether it hid one.
fn protect_line(
    grid: &[Vec<u64>],
    hidden: &mut [Vec<bool>],
    line: &[(usize, usize)],
    min: u64,
) -> bool {
    let hidden_cells: Vec<&(usize, usize)> = line.iter().filter(|(r, c)| hidden[*r][*c]).collect();
    if hidden_cells.is_empty() {
        return false;
    }
    let sum: u64 = hidden_cells.iter().map(|(r, c)| grid[*r][*c]).sum();
    if hidden_cells.len() >= 2 && sum >= min {
        return false;
    }
    let cheapest = line
        .iter()
        .filter(|(r, c)| !hidden[*r][*c])
        .min_by_key(|(r, c)| (cost(grid[*r][*c]), *r, *c));
    match cheapest {
        Some(&(r, c)) => {
            hidden[r][c] = true;
            true
        }
        None => false,
    }
}

/// The price of hiding a cell: its count, and zeros last of all.
fn cost(value: u64) -> u64 {
    if value == 0 { u64::MAX / 4 } else { value }
}

/// A hidden cell that lies on no cycle of hidden cells, if any.
fn find_bridge(hidden: &[Vec<bool>]) -> Option<(usize, usize)> {
    let rows = hidden.len();
    let columns = hidden.first().map_or(0, Vec::len);
    for r in 0..rows {
        for c in 0..columns {
            if hidden[r][c] && !connected_without(hidden, r, c) {
                return Some((r, c));
            }
        }
    }
    None
}

/// Whether row node `r` reaches column node `c` through hidden cells other than (r, c).
fn connected_without(hidden: &[Vec<bool>], r: usize, c: usize) -> bool {
    let rows = hidden.len();
    let columns = hidden.first().map_or(0, Vec::len);
    // Nodes: rows 0..rows, then columns rows..rows+columns.
    let mut seen = vec![false; rows + columns];
    let mut stack = vec![r];
    seen[r] = true;
    while let Some(node) = stack.pop() {
        let neighbours: Vec<usize> = if node < rows {
            (0..columns)
                .filter(|&j| hidden[node][j] && !(node == r && j == c))
                .map(|j| rows + j)
                .collect()
        } else {
            let j = node - rows;
            (0..rows)
                .filter(|&i| hidden[i][j] && !(i == r && j == c))
                .collect()
        };
        for next in neighbours {
            if next == rows + c {
                return true;
            }
            if !seen[next] {
                seen[next] = true;
                stack.push(next);
            }
        }
    }
    false
}

/// Hides the three cells that, with (r, c), make the cheapest rectangle.
fn close_rectangle(grid: &[Vec<u64>], hidden: &mut [Vec<bool>], r: usize, c: usize) {
    let rows = grid.len();
    let columns = grid.first().map_or(0, Vec::len);
    let price = |i: usize, j: usize, hidden: &[Vec<bool>]| {
        if hidden[i][j] { 0 } else { cost(grid[i][j]) }
    };
    let mut best: Option<(u64, usize, usize)> = None;
    for l in (0..rows).filter(|&l| l != r) {
        for k in (0..columns).filter(|&k| k != c) {
            let total = price(r, k, hidden)
                .saturating_add(price(l, c, hidden))
                .saturating_add(price(l, k, hidden));
            if best.is_none_or(|(b, _, _)| total < b) {
                best = Some((total, l, k));
            }
        }
    }
    if let Some((_, l, k)) = best {
        hidden[r][k] = true;
        hidden[l][c] = true;
        hidden[l][k] = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds the totals to an interior table.
    fn with_totals(interior: &[Vec<u64>]) -> Vec<Vec<u64>> {
        let columns = interior[0].len();
        let mut grid: Vec<Vec<u64>> = interior
            .iter()
            .map(|row| {
                let mut r = row.clone();
                r.push(row.iter().sum());
                r
            })
            .collect();
        let totals: Vec<u64> = (0..=columns)
            .map(|j| grid.iter().map(|r| r[j]).sum())
            .collect();
        grid.push(totals);
        grid
    }

    #[test]
    fn a_lone_small_cell_takes_a_rectangle_of_cheap_partners() {
        let grid = with_totals(&[vec![3, 20, 30], vec![40, 50, 60], vec![25, 9, 70]]);
        let hidden = suppress(&grid, 5);
        assert!(hidden[0][0], "the primary cell");
        let count: usize = hidden.iter().flatten().filter(|h| **h).count();
        assert_eq!(count, 4, "one rectangle: {hidden:?}");
        // The cheapest rectangle through (0,0): (0,1)=20, (2,0)=25, (2,1)=9.
        assert!(hidden[0][1] && hidden[2][0] && hidden[2][1]);
        assert!(!hidden[3][3], "the grand total stays");
    }

    #[test]
    fn nothing_small_nothing_hidden() {
        let grid = with_totals(&[vec![5, 20], vec![0, 50]]);
        let hidden = suppress(&grid, 5);
        assert!(hidden.iter().flatten().all(|h| !h));
    }

    #[test]
    fn one_dimension_hides_a_second_cell_and_enough_in_sum() {
        // 2, 40, 3, 7 and the total 52.
        let grid = vec![vec![2], vec![40], vec![3], vec![7], vec![52]];
        let hidden = suppress(&grid, 5);
        let hidden_rows: Vec<usize> = (0..5).filter(|r| hidden[*r][0]).collect();
        assert_eq!(hidden_rows, [0, 2], "2 and 3 add up to 5: enough");
        let grid = vec![vec![1], vec![40], vec![2], vec![7], vec![50]];
        let hidden = suppress(&grid, 5);
        let hidden_rows: Vec<usize> = (0..5).filter(|r| hidden[*r][0]).collect();
        assert_eq!(hidden_rows, [0, 2, 3], "1 + 2 is too small a sum: 7 too");
    }
}
