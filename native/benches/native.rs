//! `cargo bench --bench native [sizes…]`: the trace STARK beside winterfell 0.13.1's own `rescue`
//! example (native/reference) at the same proof options and trace length, then the padded
//! (shipped) against the transparent AIR, then native re-encryption. Sizes are item counts;
//! `max` is `MAX_ITEMS`, the full batch. Prove CPU is the process's CPU time (all prover threads),
//! so it does not depend on how many cores the machine lends the run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

mod phases;

use winter_rescue_reference::RescueExample;
use winterfell::crypto::hashers::Blake3_256;
use winterfell::math::fields::f128::BaseElement as F128;
use winterfell::{FieldExtension, Proof, ProofOptions};
use yilian_native::air::PublicInputs;
use yilian_native::options::{proof_options, Hiding, Layout, MAX_ITEMS};
use yilian_native::pre;
use yilian_native::prover::{prove, Hasher, Item};
use yilian_native::trace_code::TraceCode;
use yilian_native::verifier::verify;

/// Rows per hash of the reference (14 rounds and 2 copy rows).
const REFERENCE_CYCLE: usize = 16;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// CPU time of the whole process (every thread), for the prover's thread pool.
fn cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is given
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Median prove CPU, prove wall and verify wall times, the proof size and its parsed form.
struct Measured {
    prove_cpu: Duration,
    prove_wall: Duration,
    verify: Duration,
    size: usize,
    proof: Proof,
}

fn measure(
    runs: usize,
    mut prove_once: impl FnMut() -> Vec<u8>,
    verify_once: impl Fn(&[u8]),
) -> Measured {
    let (mut cpu, mut wall, mut ver) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = Vec::new();
    for _ in 0..runs {
        let (c, t) = (cpu_time(), Instant::now());
        last = prove_once();
        wall.push(t.elapsed());
        cpu.push(cpu_time() - c);
        let t = Instant::now();
        verify_once(&last);
        ver.push(t.elapsed());
    }
    Measured {
        prove_cpu: median(cpu),
        prove_wall: median(wall),
        verify: median(ver),
        size: last.len(),
        proof: Proof::from_bytes(&last).expect("own proof parses"),
    }
}

fn runs_for(trace_length: usize) -> usize {
    match trace_length {
        0..=512 => 20,
        513..=4096 => 6,
        _ => 3,
    }
}

fn items_for(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            code: TraceCode::random(),
            ciphertext_hash: [i as u8; 32],
        })
        .collect()
}

fn public(items: &[Item], nonce: [u8; 32], hiding: Hiding) -> PublicInputs {
    PublicInputs {
        ids: items.iter().map(|i| i.code.id()).collect(),
        ciphertext_hashes: items.iter().map(|i| i.ciphertext_hash).collect(),
        nonce,
        hiding,
    }
}

fn ours(items: &[Item], hiding: Hiding, runs: usize) -> Measured {
    let nonce = [0x42; 32];
    // the verifier is given the ids (a chain node reads them from the call): deriving them from
    // the codes is one Rescue permutation per item and no part of verifying
    let public = public(items, nonce, hiding);
    measure(
        runs,
        || prove(items, &nonce, hiding).expect("prove"),
        |proof| verify(proof, public.clone()).expect("verify"),
    )
}

/// The reference at our options over its 128-bit prime field, with no extension (the example's
/// default) or the quadratic one: f128 alone caps the proven bits near 80, so the row at equal
/// proven security is the extension one.
fn reference(trace_length: usize, runs: usize, extension: FieldExtension) -> Measured {
    let options = reference_options(extension);
    // a fresh seed per run, as our proofs get fresh padding: both average over the grinding search
    let examples: Vec<RescueExample> = (0..runs as u64)
        .map(|run| RescueExample::new(trace_length / REFERENCE_CYCLE, options.clone(), [42, run]))
        .collect();
    let next = std::cell::Cell::new(0);
    measure(
        runs,
        || {
            next.set(next.get() + 1);
            examples[next.get() - 1].prove().to_bytes()
        },
        |proof| {
            examples[next.get() - 1]
                .verify(Proof::from_bytes(proof).expect("parse"))
                .expect("reference verifies")
        },
    )
}

/// Our proof options with the reference's field extension.
fn reference_options(extension: FieldExtension) -> ProofOptions {
    let o = proof_options();
    ProofOptions::new(
        o.num_queries(),
        o.blowup_factor(),
        o.grinding_factor(),
        extension,
        o.to_fri_options().folding_factor(),
        o.to_fri_options().remainder_max_degree(),
        o.constraint_batching_method(),
        o.deep_poly_batching_method(),
    )
}

/// Ours beside the reference at equal proven security (f128², the same trace length), step by
/// step: the mean CPU of each of winterfell's prover steps over `runs` proofs. "outside the
/// steps" is the rest of the call: building the trace, the periodic-column and boundary tables.
fn step_table(items: &[Item], trace_length: usize, runs: usize) {
    let nonce = [0x42; 32];
    let mut ours_total = Duration::ZERO;
    let ours = phases::measure(|| {
        for _ in 0..runs {
            let start = cpu_time();
            std::hint::black_box(prove(items, &nonce, Hiding::Padded).expect("prove"));
            ours_total += cpu_time() - start;
        }
    });
    let examples: Vec<RescueExample> = (0..runs as u64)
        .map(|run| {
            RescueExample::new(
                trace_length / REFERENCE_CYCLE,
                reference_options(FieldExtension::Quadratic),
                [7, run],
            )
        })
        .collect();
    let mut reference_total = Duration::ZERO;
    let reference = phases::measure(|| {
        for example in &examples {
            let start = cpu_time();
            std::hint::black_box(example.prove());
            reference_total += cpu_time() - start;
        }
    });
    let mean = |d: Duration| ms(d) / runs as f64;
    let step = |totals: &BTreeMap<&str, Duration>, name: &str| {
        totals.get(name).copied().unwrap_or_default()
    };
    println!(
        "\n{} items, N = {trace_length}: prover CPU by step, mean of {runs} (ms)",
        items.len()
    );
    println!(
        "{:<42} {:>9} {:>11} {:>6}",
        "step", "yilian", "rescue f128^2", "x"
    );
    let line = |name: &str, a: Duration, b: Duration| {
        println!(
            "{:<42} {:>9.2} {:>11.2} {:>6.2}",
            name,
            mean(a),
            mean(b),
            ms(a) / ms(b)
        )
    };
    for name in phases::STEPS {
        line(name, step(&ours, name), step(&reference, name));
    }
    let counted = |totals: &BTreeMap<&str, Duration>| -> Duration {
        phases::STEPS.iter().map(|name| step(totals, name)).sum()
    };
    line(
        "outside the steps",
        ours_total.saturating_sub(counted(&ours)),
        reference_total.saturating_sub(counted(&reference)),
    );
    line("total", ours_total, reference_total);
}

fn bits<H: winterfell::crypto::Hasher>(m: &Measured) -> (u32, u32) {
    (
        m.proof.proven_security::<H>().ldr_bits(),
        m.proof.conjectured_security::<H>().bits(),
    )
}

fn row(what: &str, n: usize, m: &Measured, bits: (u32, u32), ours: Option<&Measured>) {
    let ratios = match ours {
        Some(a) => format!(
            "{:>6.2} {:>6.2} {:>6.2}",
            ms(a.prove_cpu) / ms(m.prove_cpu),
            ms(a.verify) / ms(m.verify),
            a.size as f64 / m.size as f64
        ),
        None => String::new(),
    };
    println!(
        "{:>5} {:>6} {:<24} {:>4} {:>4} {:>10.2} {:>9.2} {:>9.2} {:>8.1}   {}",
        n,
        m.proof.trace_info().length(),
        what,
        bits.0,
        bits.1,
        ms(m.prove_cpu),
        ms(m.prove_wall),
        ms(m.verify),
        m.size as f64 / 1024.0,
        ratios
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| {
            if a == "max" {
                Some(MAX_ITEMS)
            } else {
                a.parse().ok()
            }
        })
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1, 16, 256, MAX_ITEMS]
    } else {
        sizes
    };
    phases::install(cpu_time);
    let o = proof_options();
    println!(
        "Trace STARK beside winterfell 0.13.1's `rescue` example (native/reference: Rescue hash chain, \
         4 columns, degree 3, f128) at the same trace length N and options: q={} blowup={} \
         grinding={} folding={} remainder<={}, Blake3_256. Bits: proven (list decoding) and \
         conjectured, from winterfell's Proof::proven_security / conjectured_security. Median of \
         runs; prove CPU = process CPU time over all prover threads; ratios = ours / that row.",
        o.num_queries(),
        o.blowup_factor(),
        o.grinding_factor(),
        o.to_fri_options().folding_factor(),
        o.to_fri_options().remainder_max_degree(),
    );
    println!(
        "{:>5} {:>6} {:<24} {:>4} {:>4} {:>10} {:>9} {:>9} {:>8}   {:>6} {:>6} {:>6}",
        "items",
        "N",
        "prover",
        "prov",
        "conj",
        "prove CPU",
        "wall ms",
        "verify ms",
        "size KB",
        "CPU x",
        "ver x",
        "size x"
    );
    let mut all = Vec::new();
    for &n in &sizes {
        let layout = Layout::new(n, Hiding::Padded).expect("layout");
        let runs = runs_for(layout.trace_length);
        let items = items_for(n);
        let a = ours(&items, Hiding::Padded, runs);
        row("yilian (F_p^3, padded)", n, &a, bits::<Hasher>(&a), None);
        for (what, extension) in [
            ("rescue ex. (f128)", FieldExtension::None),
            ("rescue ex. (f128^2)", FieldExtension::Quadratic),
        ] {
            let b = reference(layout.trace_length, runs, extension);
            row(what, n, &b, bits::<Blake3_256<F128>>(&b), Some(&a));
        }
        all.push((n, items, a));
    }

    println!("\nPrice of hiding: the same batches, transparent (no padding, no masks; tests only)");
    println!(
        "{:>5} {:>6} {:>6} | {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8}",
        "items",
        "N",
        "N(tr)",
        "prove CPU",
        "verify ms",
        "size KB",
        "prove CPU",
        "verify ms",
        "size KB"
    );
    for (n, items, a) in &all {
        let layout = Layout::new(*n, Hiding::Transparent).expect("layout");
        let t = ours(items, Hiding::Transparent, runs_for(layout.trace_length));
        println!(
            "{:>5} {:>6} {:>6} | {:>9.2} {:>9.2} {:>8.1} | {:>9.2} {:>9.2} {:>8.1}",
            n,
            a.proof.trace_info().length(),
            layout.trace_length,
            ms(a.prove_cpu),
            ms(a.verify),
            a.size as f64 / 1024.0,
            ms(t.prove_cpu),
            ms(t.verify),
            t.size as f64 / 1024.0
        );
    }

    for (_, items, a) in &all {
        let trace_length = a.proof.trace_info().length();
        step_table(items, trace_length, runs_for(trace_length));
    }

    // re-encryption from bytes to bytes: decompress + subgroup checks + pairing + GT encoding
    let c1 = hex("af81da25ecf1c84b577fefbedd61077a81dc43b00304015b2b596ab67f00e41c86bb00ebd0f90d4b125eb0539891aeed");
    let rk = hex("93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8");
    let rounds = 200;
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(pre::reencrypt(&c1, &rk).expect("reencrypt"));
        samples.push(t.elapsed());
    }
    println!(
        "\nnative re-encrypt (blst, bytes to bytes, median of {rounds}): {:.3} ms",
        ms(median(samples))
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}
