//! `cargo bench --bench native`: prove time, verify time and proof size for 1, 16, 256 and 1,024
//! items, padded (shipped) and transparent (no hiding), and native re-encryption.

use std::time::{Duration, Instant};

use yilian_native::air::PublicInputs;
use yilian_native::options::{Hiding, Layout};
use yilian_native::pre;
use yilian_native::prover::{prove, Item};
use yilian_native::trace_code::TraceCode;
use yilian_native::verifier::verify;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1, 16, 256, 1024]
    } else {
        sizes
    };
    let nonce = [0x42; 32];

    println!("STARK (winterfell 0.13, Rp64_256, q=38 blowup=8 grinding=16 cubic, Blake3_256), median of runs");
    println!(
        "{:>6} {:>12} {:>7} {:>6} {:>12} {:>11} {:>10} | {:>12} {:>11} {:>10}",
        "items",
        "trace(ZK)",
        "width",
        "runs",
        "prove ms",
        "verify ms",
        "size KB",
        "prove ms",
        "verify ms",
        "size KB"
    );
    println!(
        "{:>48}{:^36}|{:^36}",
        "", "padded (shipped, hiding)", "transparent (no hiding)"
    );
    for &n in &sizes {
        let items: Vec<Item> = (0..n)
            .map(|i| Item {
                code: TraceCode::random(),
                ciphertext_hash: [i as u8; 32],
            })
            .collect();
        let public = |hiding| PublicInputs {
            ids: items.iter().map(|i| i.code.id()).collect(),
            ciphertext_hashes: items.iter().map(|i| i.ciphertext_hash).collect(),
            nonce,
            hiding,
        };
        let runs = match n {
            0..=1 => 30,
            2..=16 => 10,
            17..=256 => 4,
            _ => 3,
        };
        let mut cells = Vec::new();
        for hiding in [Hiding::Padded, Hiding::Transparent] {
            let mut prove_t = Vec::new();
            let mut verify_t = Vec::new();
            let mut size = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let proof = prove(&items, &nonce, hiding).expect("prove");
                prove_t.push(t.elapsed());
                size = proof.len();
                let t = Instant::now();
                verify(&proof, public(hiding)).expect("verify");
                verify_t.push(t.elapsed());
            }
            cells.push((median(prove_t), median(verify_t), size));
        }
        let layout = Layout::new(n, Hiding::Padded).expect("layout");
        let (p, v, s) = cells[0];
        let (tp, tv, ts) = cells[1];
        println!(
            "{:>6} {:>12} {:>7} {:>6} {:>12} {:>11} {:>10.1} | {:>12} {:>11} {:>10.1}",
            n,
            layout.trace_length,
            layout.width,
            runs,
            ms(p),
            ms(v),
            s as f64 / 1024.0,
            ms(tp),
            ms(tv),
            ts as f64 / 1024.0
        );
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
        "native re-encrypt (blst, bytes to bytes, median of {rounds}): {} ms",
        ms(median(samples))
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}
