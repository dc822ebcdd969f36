//! Long operations in steps: ids sent in chunks, and how far along they are.

/// Ids per import request: small enough that progress moves and each answer comes quickly.
pub const IMPORT_CHUNK: usize = 10;

/// `items` split in chunks of at most `size` (a size of 0 counts as 1).
pub fn chunks<T: Clone>(items: &[T], size: usize) -> Vec<Vec<T>> {
    items.chunks(size.max(1)).map(<[T]>::to_vec).collect()
}

/// Progress of `done` out of `total`, for a `<progress>` element and an "x of y" text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        Progress { done: 0, total }
    }

    /// Counts `n` more done, never past the total.
    pub fn advance(&mut self, n: usize) {
        self.done = (self.done + n).min(self.total);
    }

    pub fn is_complete(&self) -> bool {
        self.done >= self.total
    }

    /// Whole percent, 100 for an empty operation.
    pub fn percent(&self) -> u32 {
        if self.total == 0 {
            return 100;
        }
        ((self.done * 100) / self.total) as u32
    }

    /// Substitutions for the `progressOf` message ("$1 of $2").
    pub fn substitutions(&self) -> Vec<String> {
        vec![self.done.to_string(), self.total.to_string()]
    }
}

/// Number of pages for `total` rows at `page_size` per page (at least 1).
pub fn page_count(total: i64, page_size: i64) -> i64 {
    if page_size <= 0 || total <= 0 {
        return 1;
    }
    (total + page_size - 1) / page_size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_ids_go_in_four_chunks_of_ten() {
        let ids: Vec<u32> = (0..40).collect();
        let parts = chunks(&ids, IMPORT_CHUNK);
        assert_eq!(parts.len(), 4);
        assert!(parts.iter().all(|c| c.len() == 10));
        assert_eq!(parts.concat(), ids);
        let odd = chunks(&ids[..13], IMPORT_CHUNK);
        assert_eq!(odd.iter().map(Vec::len).collect::<Vec<_>>(), [10, 3]);
        assert!(chunks::<u32>(&[], IMPORT_CHUNK).is_empty());
        assert_eq!(chunks(&[1, 2], 0).len(), 2);
    }

    #[test]
    fn progress_counts_up_to_the_total() {
        let mut p = Progress::new(40);
        assert_eq!(p.percent(), 0);
        p.advance(10);
        p.advance(2);
        assert_eq!(p.substitutions(), ["12", "40"]);
        assert_eq!(p.percent(), 30);
        assert!(!p.is_complete());
        p.advance(100);
        assert_eq!(p.done, 40);
        assert!(p.is_complete());
        assert_eq!(Progress::new(0).percent(), 100);
    }

    #[test]
    fn pages_round_up() {
        assert_eq!(page_count(46, 25), 2);
        assert_eq!(page_count(50, 25), 2);
        assert_eq!(page_count(0, 25), 1);
        assert_eq!(page_count(51, 25), 3);
        assert_eq!(page_count(5, 0), 1);
    }
}
