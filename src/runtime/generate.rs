//! The decoding loop: prefill, copy the cache for `n` samples, decode the
//! batch, drop finished rows; token choice with temperature, top-k, top-p and
//! a per-sample seeded generator; log-probability and entropy of each chosen
//! token under the model's own (untempered) distribution.

use super::decoder::KvCache;
use super::model::{Backend, Model};
use crate::{Error, Result};
use candle_core::Tensor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// How to pick tokens.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sampling {
    /// 0 is greedy (argmax, ties to the lowest id).
    pub temperature: f64,
    /// Nucleus: keep the smallest set of tokens whose probability reaches `top_p` (1.0: off).
    pub top_p: f64,
    /// Keep the `top_k` most likely tokens (0: off).
    pub top_k: usize,
    /// Base seed; sample `i` of task `t` draws from its own generator seeded by
    /// `(seed, t, i)`, so results do not depend on batching or order.
    pub seed: u64,
    /// New tokens at most.
    pub max_new_tokens: usize,
    /// Text that ends an answer (it is cut off, like transformers' `stop_strings`).
    pub stop: Vec<String>,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            temperature: 0.0,
            top_p: 1.0,
            top_k: 0,
            seed: 0,
            max_new_tokens: 512,
            stop: Vec::new(),
        }
    }
}

/// One generated answer with its tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampled {
    /// Sample number within its prompt.
    pub sample_idx: usize,
    /// The answer text (stop string removed).
    pub text: String,
    /// Chosen token ids.
    pub token_ids: Vec<u32>,
    /// log p(token) under the model (temperature 1, no filtering).
    pub logprobs: Vec<f32>,
    /// Entropy (nats) of the model's distribution at each step.
    pub entropies: Vec<f32>,
    /// `stop` (EOS or a stop string) or `length`.
    pub finish_reason: String,
    /// Prompt length in tokens.
    pub prompt_tokens: usize,
}

/// Timings of one batch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// Prefill wall time.
    pub prefill_s: f64,
    /// Decode wall time.
    pub decode_s: f64,
    /// Tokens generated (all rows).
    pub new_tokens: usize,
}

/// A prompt to complete: its token ids, how many samples, and a key that
/// seeds its samples' generators.
#[derive(Clone, Debug)]
pub struct PromptJob {
    /// Encoded prompt.
    pub ids: Vec<u32>,
    /// Samples wanted.
    pub n: usize,
    /// Seed key (usually the task id).
    pub key: String,
}

/// The generator of sample `i` of prompt `key`.
///
/// ```
/// use rand::Rng;
/// let mut a = codefail::sample::sample_rng(7, "Mbpp/2", 0);
/// let mut b = codefail::sample::sample_rng(7, "Mbpp/2", 0);
/// assert_eq!(a.random::<u64>(), b.random::<u64>());
/// ```
pub fn sample_rng(seed: u64, key: &str, i: usize) -> ChaCha8Rng {
    use crate::store::{FNV_OFFSET, fnv1a};
    let h = fnv1a(key.as_bytes(), FNV_OFFSET ^ seed);
    ChaCha8Rng::seed_from_u64(fnv1a(&(i as u64).to_le_bytes(), h))
}

/// `ln Σ exp(l)` and the entropy `-Σ p ln p` of `softmax(logits)`, in one
/// pass of exponentials (one per vocabulary entry and token, the costliest
/// part of choosing a token): with `d = l - max`, `S = Σ exp(d)`, the entropy
/// is `ln S - Σ exp(d) d / S`. Logits of `-inf` contribute nothing.
fn log_sum_exp_and_entropy(logits: &[f32]) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if super::attend::avx2() {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { log_sum_exp_and_entropy_avx2(logits) };
    }
    lse_and_entropy(logits)
}

/// [`log_sum_exp_and_entropy`] compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn log_sum_exp_and_entropy_avx2(logits: &[f32]) -> (f64, f64) {
    lse_and_entropy(logits)
}

#[inline(always)]
fn lse_and_entropy(logits: &[f32]) -> (f64, f64) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    // The exponentials in f32 with a polynomial the compiler vectorizes
    // (libm's is a call per value; both are within about 1e-7 relative,
    // far below what log-probs and entropies are used for), the sums in
    // f64, eight lanes at a time. `d` is clamped where `e^d` leaves the
    // normal floats, so a `-inf` logit adds about 1e-38 · -87, not NaN.
    let (mut sum, mut weighted) = ([0f64; 8], [0f64; 8]);
    let mut add = |lane: usize, l: f32| {
        let d = (l - max).max(-87.336_55);
        let e = f64::from(super::attend::exp_nonpositive(d));
        sum[lane] += e;
        weighted[lane] += e * f64::from(d);
    };
    let chunks = logits.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (lane, &l) in c.iter().enumerate() {
            add(lane, l);
        }
    }
    for (lane, &l) in tail.iter().enumerate() {
        add(lane, l);
    }
    let (sum, weighted) = (sum.iter().sum::<f64>(), weighted.iter().sum::<f64>());
    (f64::from(max) + sum.ln(), sum.ln() - weighted / sum)
}

/// Choose a token from one row of logits; returns `(token, logprob, entropy)`
/// where logprob and entropy are of the untempered distribution.
///
/// ```
/// let s = codefail::sample::Sampling::default();
/// let mut rng = codefail::sample::sample_rng(0, "t", 0);
/// let (tok, lp, _) = codefail::sample::choose(&[0.0, 3.0, 1.0], &s, &mut rng);
/// assert_eq!(tok, 1);
/// assert!(lp < 0.0);
/// ```
pub fn choose(logits: &[f32], s: &Sampling, rng: &mut ChaCha8Rng) -> (u32, f32, f32) {
    let (lse, entropy) = log_sum_exp_and_entropy(logits);
    let tok = if s.temperature <= 0.0 {
        let mut best = 0usize;
        for (i, &l) in logits.iter().enumerate() {
            if l > logits[best] {
                best = i;
            }
        }
        best
    } else {
        // Candidates sorted by logit (stable: ties keep id order).
        let mut idx: Vec<usize> = (0..logits.len()).collect();
        let k = if s.top_k > 0 {
            s.top_k.min(idx.len())
        } else {
            idx.len()
        };
        if k < idx.len() {
            idx.select_nth_unstable_by(k, |&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
            idx.truncate(k);
        }
        idx.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
        let t = s.temperature;
        let top = f64::from(logits[idx[0]]);
        let mut probs: Vec<f64> = idx
            .iter()
            .map(|&i| ((f64::from(logits[i]) - top) / t).exp())
            .collect();
        let z: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= z);
        if s.top_p < 1.0 {
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (j, p) in probs.iter().enumerate() {
                acc += p;
                if acc >= s.top_p {
                    keep = j + 1;
                    break;
                }
            }
            probs.truncate(keep);
            idx.truncate(keep);
            let z: f64 = probs.iter().sum();
            probs.iter_mut().for_each(|p| *p /= z);
        }
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut pick = idx[idx.len() - 1];
        for (j, p) in probs.iter().enumerate() {
            acc += p;
            if u < acc {
                pick = idx[j];
                break;
            }
        }
        pick
    };
    (
        tok as u32,
        (f64::from(logits[tok]) - lse) as f32,
        entropy as f32,
    )
}

/// A row being decoded.
struct Row {
    job: usize,
    /// The text was cut at a stop string (else it is decoded at the end).
    cut: bool,
    rng: ChaCha8Rng,
    out: Sampled,
    done: bool,
}

impl Row {
    /// Take a token; returns true when the row has finished.
    fn push(&mut self, model: &Model, logits: &[f32], s: &Sampling) -> Result<bool> {
        let choice = choose(logits, s, &mut self.rng);
        self.take(model, choice, s)
    }

    /// Take a chosen `(token, logprob, entropy)`; returns true when the row
    /// has finished.
    fn take(
        &mut self,
        model: &Model,
        (tok, lp, ent): (u32, f32, f32),
        s: &Sampling,
    ) -> Result<bool> {
        if model.stop_ids().contains(&tok) {
            self.out.finish_reason = "stop".into();
            self.done = true;
            return Ok(true);
        }
        self.out.token_ids.push(tok);
        self.out.logprobs.push(lp);
        self.out.entropies.push(ent);
        if !s.stop.is_empty() {
            let text = model.decode(&self.out.token_ids)?;
            if let Some(cut) = s.stop.iter().filter_map(|st| text.find(st.as_str())).min() {
                self.out.text = text[..cut].to_string();
                self.cut = true;
                self.out.finish_reason = "stop".into();
                self.done = true;
                return Ok(true);
            }
        }
        if self.out.token_ids.len() >= s.max_new_tokens
            || self.out.prompt_tokens + self.out.token_ids.len() >= model.context_len()
        {
            self.out.finish_reason = "length".into();
            self.done = true;
            return Ok(true);
        }
        Ok(false)
    }
}

/// What one forward step hands the rows: every row's logits on the host, or,
/// for greedy decoding on a GPU, each row's choice made on the device.
enum Step {
    Logits(Vec<Vec<f32>>),
    Chosen(Vec<(u32, f32, f32)>),
}

impl Step {
    /// The step's output of `logits` `(rows, vocab)`: greedy choices made
    /// where the logits are when `on_device`, else the logits copied to the
    /// host.
    fn of(logits: &Tensor, on_device: bool) -> candle_core::Result<Step> {
        if on_device {
            greedy_on_device(logits).map(Step::Chosen)
        } else {
            logits.to_vec2::<f32>().map(Step::Logits)
        }
    }

    /// The rows `sel` of this step, in that order.
    fn select(self, sel: &[usize]) -> Step {
        match self {
            Step::Logits(l) => Step::Logits(sel.iter().map(|&r| l[r].clone()).collect()),
            Step::Chosen(c) => Step::Chosen(sel.iter().map(|&r| c[r]).collect()),
        }
    }

    /// Row `pos` takes its token.
    fn push(&self, pos: usize, row: &mut Row, model: &Model, s: &Sampling) -> Result<bool> {
        match self {
            Step::Logits(l) => row.push(model, &l[pos], s),
            Step::Chosen(c) => row.take(model, c[pos], s),
        }
    }
}

/// Greedy choices of `logits` `(rows, vocab)` computed where they are (a
/// GPU): per row the argmax, its log-probability and the entropy of the
/// distribution, what [`choose`] gives at temperature 0, with one copy of
/// `rows x 3` numbers to the host instead of `rows x vocab` (at batch 32 and
/// Qwen2's 151,936 entries, 19 MB a token and the host's exponentials).
/// Sums run in f32 on the device (the host's in f64): log-probs agree to
/// about 1e-5; argmax ties, which random weights make all but impossible and
/// trained ones rare, may go to another id than the host's lowest.
fn greedy_on_device(logits: &Tensor) -> candle_core::Result<Vec<(u32, f32, f32)>> {
    use candle_core::D;
    let l = logits.to_dtype(candle_core::DType::F32)?;
    let max = l.max_keepdim(D::Minus1)?;
    let d = l.broadcast_sub(&max)?;
    let e = d.exp()?;
    let sum = e.sum_keepdim(D::Minus1)?;
    let ln_sum = sum.log()?;
    // entropy = ln S - Σ e^d d / S; the argmax's log-probability is -ln S.
    let entropy = (&ln_sum - (e * &d)?.sum_keepdim(D::Minus1)?.broadcast_div(&sum)?)?;
    let arg = l
        .argmax_keepdim(D::Minus1)?
        .to_dtype(candle_core::DType::F32)?;
    let table = Tensor::cat(&[arg, ln_sum.neg()?, entropy], 1)?.to_vec2::<f32>()?;
    Ok(table
        .into_iter()
        .map(|r| (r[0] as u32, r[1], r[2]))
        .collect())
}

fn cerr(model: &Model, e: candle_core::Error) -> Error {
    super::model::model_err(&model.path, e)
}

/// Complete a batch of prompts: prompts of different lengths are left-padded
/// and prefilled together, each prompt's cache is copied for its `n` samples,
/// and all rows decode as one batch until each stops. Backends with an
/// internal cache (StarCoder2, BigCode) take the prompts one at a time.
///
/// Returns, per prompt, its samples in `sample_idx` order, and the timing.
///
/// ```no_run
/// # let model = codefail::sample::Model::load("m.gguf", &Default::default())?;
/// use codefail::sample::{PromptJob, Sampling, generate_batch};
/// let job = PromptJob { ids: model.encode("def add(a, b):")?, n: 2, key: "demo".into() };
/// let (out, timing) = generate_batch(&model, &[job], &Sampling { temperature: 0.8, ..Default::default() })?;
/// assert_eq!(out[0].len(), 2);
/// # Ok::<(), codefail::Error>(())
/// ```
pub fn generate_batch(
    model: &Model,
    jobs: &[PromptJob],
    s: &Sampling,
) -> Result<(Vec<Vec<Sampled>>, Timing)> {
    if let Some(j) = jobs.iter().find(|j| j.ids.len() >= model.context_len()) {
        return Err(Error::Invalid(format!(
            "prompt `{}` has {} tokens; {} takes {} at most (prompt and answer)",
            j.key,
            j.ids.len(),
            model.name(),
            model.context_len()
        )));
    }
    match &model.backend {
        Backend::Decoder(_) => decode_batch(model, jobs, s),
        _ => {
            let mut out = Vec::new();
            let mut timing = Timing::default();
            for job in jobs {
                let (o, t) = internal_batch(model, job, s)?;
                out.push(o);
                timing.prefill_s += t.prefill_s;
                timing.decode_s += t.decode_s;
                timing.new_tokens += t.new_tokens;
            }
            Ok((out, timing))
        }
    }
}

fn new_rows(jobs: &[PromptJob], s: &Sampling) -> Vec<Row> {
    jobs.iter()
        .enumerate()
        .flat_map(|(j, job)| {
            (0..job.n).map(move |i| Row {
                job: j,
                cut: false,
                rng: sample_rng(s.seed, &job.key, i),
                out: Sampled {
                    sample_idx: i,
                    text: String::new(),
                    token_ids: Vec::new(),
                    logprobs: Vec::new(),
                    entropies: Vec::new(),
                    finish_reason: String::new(),
                    prompt_tokens: job.ids.len(),
                },
                done: false,
            })
        })
        .collect()
}

fn finish(model: &Model, jobs: &[PromptJob], rows: Vec<Row>) -> Result<Vec<Vec<Sampled>>> {
    let mut out: Vec<Vec<Sampled>> = jobs.iter().map(|_| Vec::new()).collect();
    for mut r in rows {
        if !r.cut {
            r.out.text = model.decode(&r.out.token_ids)?;
        }
        out[r.job].push(r.out);
    }
    for o in &mut out {
        o.sort_by_key(|s| s.sample_idx);
    }
    Ok(out)
}

fn decode_batch(
    model: &Model,
    jobs: &[PromptJob],
    s: &Sampling,
) -> Result<(Vec<Vec<Sampled>>, Timing)> {
    let Backend::Decoder(dec) = &model.backend else {
        return Err(Error::Invalid("not a decoder model".into()));
    };
    let jobs_run: Vec<&PromptJob> = jobs.iter().filter(|j| j.n > 0).collect();
    let mut rows = new_rows(jobs, s);
    let mut timing = Timing::default();
    if jobs_run.is_empty() {
        return Ok((finish(model, jobs, rows)?, timing));
    }
    if let Some(j) = jobs_run.iter().find(|j| j.ids.is_empty()) {
        return Err(Error::Invalid(format!(
            "prompt `{}` encodes to no tokens",
            j.key
        )));
    }
    let dev = model.device.clone();
    let t0 = Instant::now();
    // Prefill: left-pad to the longest prompt.
    let longest = jobs_run.iter().map(|j| j.ids.len()).max().unwrap_or(0);
    let pad_id = model.stop_ids().first().copied().unwrap_or(0);
    let pads: Vec<usize> = jobs_run.iter().map(|j| longest - j.ids.len()).collect();
    let mut flat = Vec::with_capacity(jobs_run.len() * longest);
    for (j, p) in jobs_run.iter().zip(&pads) {
        flat.extend(std::iter::repeat_n(pad_id, *p));
        flat.extend_from_slice(&j.ids);
    }
    let ids =
        Tensor::from_vec(flat, (jobs_run.len(), longest), &dev).map_err(|e| cerr(model, e))?;
    let mut cache = KvCache::new(pads);
    let logits = dec.forward(&ids, &mut cache).map_err(|e| cerr(model, e))?;
    // Copy each prompt's cache and logits for its samples.
    let sel: Vec<usize> = jobs_run
        .iter()
        .enumerate()
        .flat_map(|(r, j)| std::iter::repeat_n(r, j.n))
        .collect();
    let mut cache = cache.select(&sel).map_err(|e| cerr(model, e))?;
    // Greedy decoding on a GPU chooses there (see `greedy_on_device`).
    let on_device = !dev.is_cpu() && s.temperature <= 0.0;
    let mut step = Step::of(&logits, on_device)
        .map_err(|e| cerr(model, e))?
        .select(&sel);
    timing.prefill_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    // Rows of `rows` that are still in the batch, in cache order.
    let mut active: Vec<usize> = (0..rows.len())
        .filter(|&i| jobs[rows[i].job].n > 0)
        .collect();
    loop {
        let mut keep = Vec::with_capacity(active.len());
        let mut next = Vec::with_capacity(active.len());
        for (pos, &ri) in active.iter().enumerate() {
            let done = step.push(pos, &mut rows[ri], model, s)?;
            if !done {
                keep.push(pos);
                next.push(*rows[ri].out.token_ids.last().unwrap_or(&pad_id));
            }
        }
        if keep.is_empty() {
            break;
        }
        if keep.len() < active.len() {
            cache = cache.select(&keep).map_err(|e| cerr(model, e))?;
            active = keep.iter().map(|&p| active[p]).collect();
        }
        let ids = Tensor::from_vec(next, (active.len(), 1), &dev).map_err(|e| cerr(model, e))?;
        step = dec
            .forward(&ids, &mut cache)
            .and_then(|l| Step::of(&l, on_device))
            .map_err(|e| cerr(model, e))?;
    }
    timing.decode_s = t1.elapsed().as_secs_f64();
    timing.new_tokens = rows.iter().map(|r| r.out.token_ids.len()).sum();
    Ok((finish(model, jobs, rows)?, timing))
}

fn internal_batch(model: &Model, job: &PromptJob, s: &Sampling) -> Result<(Vec<Sampled>, Timing)> {
    let mut rows = new_rows(std::slice::from_ref(job), s);
    let mut timing = Timing::default();
    if job.n == 0 {
        return Ok((
            finish(model, std::slice::from_ref(job), rows)?.remove(0),
            timing,
        ));
    }
    let dev = model.device.clone();
    let t0 = Instant::now();
    let mut stepper = model.internal_stepper(job.n)?;
    let prompt: Vec<Vec<u32>> = vec![job.ids.clone(); job.n];
    let mut logits = stepper
        .step(&prompt, &dev)
        .and_then(|l| l.to_vec2::<f32>())
        .map_err(|e| cerr(model, e))?;
    timing.prefill_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let pad = model.stop_ids().first().copied().unwrap_or(0);
    loop {
        let mut next = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter_mut().enumerate() {
            if !r.done {
                r.push(model, &logits[i], s)?;
            }
            // Finished rows keep feeding padding: this cache cannot drop rows.
            next.push(vec![if r.done {
                pad
            } else {
                *r.out.token_ids.last().unwrap_or(&pad)
            }]);
        }
        if rows.iter().all(|r| r.done) {
            break;
        }
        logits = stepper
            .step(&next, &dev)
            .and_then(|l| l.to_vec2::<f32>())
            .map_err(|e| cerr(model, e))?;
    }
    timing.decode_s = t1.elapsed().as_secs_f64();
    timing.new_tokens = rows.iter().map(|r| r.out.token_ids.len()).sum();
    Ok((
        finish(model, std::slice::from_ref(job), rows)?.remove(0),
        timing,
    ))
}

#[cfg(test)]
mod tests {
    use super::log_sum_exp_and_entropy;

    /// The device-side greedy choice (run here on the CPU device, through
    /// the same tensor ops a GPU runs) equals the host's `choose` at
    /// temperature 0: same token, log-prob and entropy within f32 rounding.
    #[test]
    fn greedy_on_device_equals_the_host_choice() {
        use candle_core::{Device, Tensor};
        let mut s = 99u64;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((s >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 30.0
        };
        let (rows, vocab) = (5, 4099);
        let flat: Vec<f32> = (0..rows * vocab).map(|_| next()).collect();
        let t = Tensor::from_vec(flat.clone(), (rows, vocab), &Device::Cpu).unwrap();
        let got = super::greedy_on_device(&t).unwrap();
        let greedy = super::Sampling {
            temperature: 0.0,
            ..Default::default()
        };
        for (r, g) in got.iter().enumerate() {
            let mut rng = super::sample_rng(0, "t", r);
            let want = super::choose(&flat[r * vocab..(r + 1) * vocab], &greedy, &mut rng);
            assert_eq!(g.0, want.0, "row {r}");
            assert!((g.1 - want.1).abs() < 1e-4, "row {r}: {g:?} {want:?}");
            assert!((g.2 - want.2).abs() < 1e-4, "row {r}: {g:?} {want:?}");
        }
    }

    /// The two-pass definition the one-pass version replaces.
    fn two_pass(logits: &[f32]) -> (f64, f64) {
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
        let lse = f64::from(max) + sum.ln();
        let entropy = logits
            .iter()
            .map(|&l| {
                let lp = f64::from(l) - lse;
                if lp.is_finite() { -lp.exp() * lp } else { 0.0 }
            })
            .sum();
        (lse, entropy)
    }

    #[test]
    fn one_pass_entropy_equals_the_definition() {
        let mut s = 12345u64;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((s >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 40.0
        };
        let random: Vec<f32> = (0..151_936).map(|_| next()).collect();
        let mut masked = random[..1000].to_vec();
        masked[3] = f32::NEG_INFINITY;
        masked[500] = f32::NEG_INFINITY;
        let peaked = vec![0.0, 80.0, -3.0, 1.0];
        for (name, logits) in [
            ("random", random),
            ("masked", masked),
            ("peaked", peaked),
            ("uniform", vec![2.5f32; 64]),
        ] {
            let (a, b) = (log_sum_exp_and_entropy(&logits), two_pass(&logits));
            assert!((a.0 - b.0).abs() < 1e-6, "{name}: lse {} vs {}", a.0, b.0);
            assert!(
                (a.1 - b.1).abs() < 1e-6,
                "{name}: entropy {} vs {}",
                a.1,
                b.1
            );
        }
        let (_, h) = log_sum_exp_and_entropy(&[2.5f32; 64]);
        assert!((h - 64f64.ln()).abs() < 1e-9);
    }
}
