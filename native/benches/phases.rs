//! Where a prover's CPU goes: winterfell opens a `tracing` span around each step of `prove`
//! (extend the trace, commit to it, evaluate constraints, …). This layer charges each span the
//! process CPU time (every thread) between its creation and its close, so both provers can be
//! split into the same steps and compared step by step.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Registry;

/// The innermost steps of `Prover::prove` in winterfell 0.13.1, in the order it runs them (the
/// spans that enclose them are left out so that nothing is counted twice).
pub const STEPS: [&str; 12] = [
    "build_domain",
    "extend_execution_trace",
    "compute_execution_trace_commitment",
    "evaluate_constraints",
    "build_composition_poly_columns",
    "evaluate_composition_poly_columns",
    "compute_constraint_evaluation_commitment",
    "build_deep_composition_poly",
    "evaluate_deep_composition_poly",
    "compute_fri_layers",
    "determine_query_positions",
    "build_proof_object",
];

struct Opened(Duration);

static TOTALS: Mutex<BTreeMap<&'static str, Duration>> = Mutex::new(BTreeMap::new());

struct StepTimes {
    cpu_time: fn() -> Duration,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for StepTimes {
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Opened((self.cpu_time)()));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(&Opened(start)) = span.extensions().get::<Opened>() else {
            return;
        };
        let spent = (self.cpu_time)() - start;
        *TOTALS
            .lock()
            .expect("step totals")
            .entry(span.name())
            .or_default() += spent;
    }
}

/// Installs the layer for the whole process; `cpu_time` is the clock it charges.
pub fn install(cpu_time: fn() -> Duration) {
    tracing::subscriber::set_global_default(Registry::default().with(StepTimes { cpu_time }))
        .expect("no other tracing subscriber in the benchmark");
}

/// CPU per step summed over everything proven while `f` ran.
pub fn measure(f: impl FnOnce()) -> BTreeMap<&'static str, Duration> {
    TOTALS.lock().expect("step totals").clear();
    f();
    std::mem::take(&mut *TOTALS.lock().expect("step totals"))
}
