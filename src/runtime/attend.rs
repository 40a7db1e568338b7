//! One decoding step's attention as one CPU operation.
//!
//! Decoding a token runs the attention of one query position per row against
//! the whole cache. Written with candle's general operations that is a dozen
//! operations per layer (two batched matmuls through the GEMM library, a
//! scale, a softmax, the reshapes around them), each with its own allocation
//! and dispatch, for very little arithmetic (about a tenth of a token's time
//! on Qwen2.5-Coder-0.5B; docs/benchmarks.md). [`DecodeAttention`] does the
//! same arithmetic in one pass per query head, split over candle's CPU
//! thread pool: scores `q·kⱼ / √d` for the row's unpadded positions, a
//! softmax (maximum subtracted, exponentials summed), and the weighted sum
//! of the values.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp3, Layout, Shape};

type CResult<T> = candle_core::Result<T>;

/// Single-position grouped-query attention against a key/value cache, on
/// the CPU in f32: query `(b, heads, 1, d)` contiguous, keys and values
/// `(b, kv_heads, len, d)` with each head's positions contiguous (views of
/// a longer cache buffer are fine); query head `h` reads key/value
/// head `h / (heads / kv_heads)`. Output `(b, 1, heads * d)`, the heads side
/// by side (what the attention's output projection takes).
#[derive(Clone, Debug)]
pub(crate) struct DecodeAttention {
    /// Per row, the left-padding positions no query may see.
    pub(crate) pad: Vec<usize>,
    /// The scores' scale, usually `1 / √d`.
    pub(crate) scale: f32,
}

/// `Σ a·b` in eight independent lanes (so the compiler can vectorize it).
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `e^x` for `x <= 0` (a score minus the largest score) to about one unit
/// in the last place: Cephes' `expf` (Cody-Waite reduction by ln 2, then a
/// degree-5 polynomial), written without branches or calls so that the
/// compiler vectorizes a loop of them; libm's `expf` is a call per value.
/// Values below -87.3 (where `e^x` leaves the normal floats) give about
/// 1e-38 instead of a subnormal or 0, which no softmax sum can notice.
#[inline(always)]
pub(crate) fn exp_nonpositive(x: f32) -> f32 {
    let x = x.clamp(-87.336_55, 0.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// One query head: `out = softmax(scale · K q) V` over the positions `keys`
/// and `values` hold (rows of `d` values each); `scores` is scratch space of
/// one value per position.
#[inline(always)]
fn head(q: &[f32], keys: &[f32], values: &[f32], scale: f32, scores: &mut [f32], out: &mut [f32]) {
    let d = q.len();
    let mut max = f32::NEG_INFINITY;
    for (s, k) in scores.iter_mut().zip(keys.chunks_exact(d)) {
        *s = dot(q, k) * scale;
        max = max.max(*s);
    }
    for s in scores.iter_mut() {
        *s = exp_nonpositive(*s - max);
    }
    let sum: f32 = scores.iter().sum();
    // The weighted sum of the values, 32 output values at a time held in
    // registers (accumulating into `out` itself would store and reload it
    // for every position).
    let inv = 1.0 / sum;
    for (c, o) in out.chunks_mut(32).enumerate() {
        let at = c * 32;
        if o.len() == 32 {
            let mut acc = [0f32; 32];
            for (&e, v) in scores.iter().zip(values.chunks_exact(d)) {
                let v = &v[at..at + 32];
                for i in 0..32 {
                    acc[i] += e * v[i];
                }
            }
            for (o, a) in o.iter_mut().zip(acc) {
                *o = a * inv;
            }
        } else {
            o.fill(0.0);
            for (&e, v) in scores.iter().zip(values.chunks_exact(d)) {
                for (o, &x) in o.iter_mut().zip(&v[at..]) {
                    *o += e * x;
                }
            }
            for o in o.iter_mut() {
                *o *= inv;
            }
        }
    }
}

/// [`head`] compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn head_avx2(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    scale: f32,
    scores: &mut [f32],
    out: &mut [f32],
) {
    head(q, keys, values, scale, scores, out)
}

/// Whether this CPU has AVX2 and FMA (what [`head_avx2`] and the token
/// choice's log-sum-exp are compiled for).
pub(crate) fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The f32 values of a CPU tensor.
fn values<'a>(storage: &'a CpuStorage, what: &str) -> CResult<&'a [f32]> {
    match storage {
        CpuStorage::F32(all) => Ok(all),
        _ => candle_core::bail!(
            "decode attention: f32 {what} expected, got {:?}",
            storage.dtype()
        ),
    }
}

/// Where head `(row, h)` of a `(b, heads, len, d)` cache view starts in its
/// storage, checking that each head's `len * d` values are contiguous and
/// inside the storage.
fn head_offsets(layout: &Layout, storage_len: usize, what: &str) -> CResult<(usize, usize, usize)> {
    let dims = layout.shape().dims();
    let st = layout.stride();
    let (b, heads, len, d) = (dims[0], dims[1], dims[2], dims[3]);
    if st[3] != 1 || (len > 1 && st[2] != d) {
        candle_core::bail!(
            "decode attention: {what} strides {st:?} do not keep each head's positions contiguous"
        );
    }
    let start = layout.start_offset();
    let last = start + (b.max(1) - 1) * st[0] + (heads.max(1) - 1) * st[1] + len * d;
    if last > storage_len {
        candle_core::bail!("decode attention: {what} view reaches past its storage");
    }
    Ok((start, st[0], st[1]))
}

impl CustomOp3 for DecodeAttention {
    fn name(&self) -> &'static str {
        "decode-attention"
    }

    fn cpu_fwd(
        &self,
        qs: &CpuStorage,
        ql: &Layout,
        ks: &CpuStorage,
        kl: &Layout,
        vs: &CpuStorage,
        vl: &Layout,
    ) -> CResult<(CpuStorage, Shape)> {
        let (b, heads, one, d) = ql.shape().dims4()?;
        let (kb, kv_heads, len, kd) = kl.shape().dims4()?;
        if one != 1 || kb != b || kd != d || vl.shape() != kl.shape() {
            candle_core::bail!(
                "decode attention: query {:?}, keys {:?}, values {:?}",
                ql.shape(),
                kl.shape(),
                vl.shape()
            );
        }
        if kv_heads == 0 || heads % kv_heads != 0 || self.pad.len() != b {
            candle_core::bail!(
                "decode attention: {heads} query heads over {kv_heads} key/value heads, {} padding entries for {b} rows",
                self.pad.len()
            );
        }
        let Some((q0, q1)) = ql.contiguous_offsets() else {
            candle_core::bail!("decode attention: contiguous query expected");
        };
        let q = &values(qs, "query")?[q0..q1];
        let (k, v) = (values(ks, "keys")?, values(vs, "values")?);
        let (k0, k_row, k_head) = head_offsets(kl, k.len(), "keys")?;
        let (v0, v_row, v_head) = head_offsets(vl, v.len(), "values")?;
        let rep = heads / kv_heads;
        let mut out = vec![0f32; b * heads * d];
        let out_ptr = out.as_mut_ptr() as usize;
        let fast = avx2();
        candle_core::utils::barrier_pool().execute_chunked(b * heads, |range| {
            let mut scores = vec![0f32; len];
            for bh in range {
                let (row, h) = (bh / heads, bh % heads);
                // SAFETY: each (row, head) pair belongs to exactly one chunk,
                // so its `d` outputs have one writer; `out` outlives the work.
                let o =
                    unsafe { std::slice::from_raw_parts_mut((out_ptr as *mut f32).add(bh * d), d) };
                let first = self.pad[row].min(len);
                if first == len {
                    continue;
                }
                let (kh, vh) = (
                    k0 + row * k_row + (h / rep) * k_head,
                    v0 + row * v_row + (h / rep) * v_head,
                );
                let (keys, vals) = (
                    &k[kh + first * d..kh + len * d],
                    &v[vh + first * d..vh + len * d],
                );
                let qh = &q[bh * d..(bh + 1) * d];
                let scores = &mut scores[..len - first];
                #[cfg(target_arch = "x86_64")]
                if fast {
                    // SAFETY: `avx2()` checked the CPU's features.
                    unsafe { head_avx2(qh, keys, vals, self.scale, scores, o) };
                    continue;
                }
                let _ = fast;
                head(qh, keys, vals, self.scale, scores, o);
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, 1, heads * d))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    /// The attention written with candle's general operations.
    fn reference(q: &Tensor, k: &Tensor, v: &Tensor, pad: &[usize], scale: f64) -> Tensor {
        let (b, heads, _, d) = q.dims4().unwrap();
        let (_, kv, len, _) = k.dims4().unwrap();
        let rep = heads / kv;
        let q = q.reshape((b, kv, rep, d)).unwrap();
        let att = (q.matmul(&k.t().unwrap()).unwrap() * scale).unwrap();
        let mask: Vec<f32> = pad
            .iter()
            .flat_map(|&p| (0..len).map(move |j| if j < p { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let mask = Tensor::from_vec(mask, (b, 1, 1, len), &Device::Cpu).unwrap();
        let att = candle_nn::ops::softmax_last_dim(&att.broadcast_add(&mask).unwrap()).unwrap();
        att.matmul(v).unwrap().reshape((b, 1, heads * d)).unwrap()
    }

    #[test]
    fn equals_the_attention_written_with_general_operations() {
        let dev = Device::Cpu;
        // 6 query heads over 2 key/value heads, a head width that is not a
        // multiple of 8, two rows of which the second is left-padded by 3.
        let (b, heads, kv, len, d) = (2, 6, 2, 11, 20);
        let q = Tensor::randn(0f32, 1.0, (b, heads, 1, d), &dev).unwrap();
        let k = Tensor::randn(0f32, 1.0, (b, kv, len, d), &dev).unwrap();
        let v = Tensor::randn(0f32, 1.0, (b, kv, len, d), &dev).unwrap();
        let pad = vec![0, 3];
        let scale = 1.0 / (d as f64).sqrt();
        let op = DecodeAttention {
            pad: pad.clone(),
            scale: scale as f32,
        };
        let ours = q.apply_op3_no_bwd(&k, &v, &op).unwrap();
        let want = reference(&q, &k, &v, &pad, scale);
        assert_eq!(ours.dims(), &[b, 1, heads * d]);
        let diff = (ours - want)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-5, "max difference {diff}");
        // Views of longer buffers (a cache with room to grow) read the same.
        let room = |t: &Tensor| {
            Tensor::cat(&[t, &t.zeros_like().unwrap()], 2)
                .unwrap()
                .narrow(2, 0, len)
                .unwrap()
        };
        let (kr, vr) = (room(&k), room(&v));
        assert!(!kr.is_contiguous());
        let viewed = q.apply_op3_no_bwd(&kr, &vr, &op).unwrap();
        assert_eq!(
            viewed.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            q.apply_op3_no_bwd(&k, &v, &op)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        );
        // Padding matters: without it the second row's output changes.
        let unpadded = DecodeAttention {
            pad: vec![0, 0],
            scale: scale as f32,
        };
        let other = q.apply_op3_no_bwd(&k, &v, &unpadded).unwrap();
        let ours = q.apply_op3_no_bwd(&k, &v, &op).unwrap();
        let row = |t: &Tensor, r: usize| {
            t.get(r)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_eq!(row(&ours, 0), row(&other, 0));
        assert_ne!(row(&ours, 1), row(&other, 1));
    }

    #[test]
    fn the_exponential_is_within_two_ulps_of_libm() {
        let mut x = 0f32;
        while x > -87.0 {
            let (ours, libm) = (exp_nonpositive(x), x.exp());
            assert!(
                (ours - libm).abs() <= 2.0 * f32::EPSILON * libm,
                "e^{x}: {ours} vs {libm}"
            );
            x -= 0.001_7;
        }
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(f32::NEG_INFINITY) < 1e-37);
    }

    #[test]
    fn refuses_mismatched_shapes() {
        let dev = Device::Cpu;
        let q = Tensor::zeros((1, 4, 1, 8), candle_core::DType::F32, &dev).unwrap();
        let k = Tensor::zeros((1, 3, 5, 8), candle_core::DType::F32, &dev).unwrap();
        let op = DecodeAttention {
            pad: vec![0],
            scale: 1.0,
        };
        let err = q.apply_op3_no_bwd(&k, &k, &op).unwrap_err().to_string();
        assert!(err.contains("4 query heads over 3"), "{err}");
    }
}
