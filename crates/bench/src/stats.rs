//! Order statistics over timing samples: median and p90.

use std::time::{Duration, Instant};

/// Median and 90th percentile of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// 50th percentile.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
}

impl Summary {
    /// Summarises `samples` (any unit); `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Summary {
            median: percentile(&sorted, 50.0),
            p90: percentile(&sorted, 90.0),
        })
    }

    /// Summarises durations, in microseconds.
    pub fn of_micros(samples: &[Duration]) -> Option<Summary> {
        let micros: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        Summary::of(&micros)
    }
}

/// Nearest-rank percentile of an ascending, non-empty slice.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Nanoseconds per call of each function in `fs`: median and p90 over
/// `batches` timed batches of `per_batch` calls, after one untimed batch.
/// Batches of the functions alternate, so drift hits them all alike, and
/// timing whole batches keeps the clock's own cost out of short operations.
pub fn batched(batches: usize, per_batch: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<Summary> {
    let per_batch = per_batch.max(1);
    for f in fs.iter_mut() {
        for _ in 0..per_batch {
            f();
        }
    }
    let mut per_call: Vec<Vec<f64>> = fs.iter().map(|_| Vec::new()).collect();
    for _ in 0..batches.max(1) {
        for (f, samples) in fs.iter_mut().zip(&mut per_call) {
            let start = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            samples.push(start.elapsed().as_nanos() as f64 / per_batch as f64);
        }
    }
    per_call
        .iter()
        .map(|samples| Summary::of(samples).expect("at least one batch"))
        .collect()
}

/// Bytes as MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let s = Summary::of(&[5.0, 1.0, 4.0, 2.0, 3.0, 6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        assert_eq!(s.median, 5.0);
        assert_eq!(s.p90, 9.0);
        assert_eq!(Summary::of(&[3.0]).unwrap().p90, 3.0);
        assert!(Summary::of(&[]).is_none());
    }
}
