//! CPU kernels candle 0.11 lacks or runs slowly: Q5_0 and Q8_0 weights
//! times f32 activations with AVX2.
//!
//! llama.cpp's small-model GGUF files store every weight whose rows are not a
//! multiple of 256 values as Q5_0 (all of Qwen2.5-Coder-0.5B's 896-wide
//! projections) and the output head as Q8_0. candle 0.11 multiplies Q5_0 with
//! a scalar dot product, about ten times slower than its AVX2 kernels.
//! Re-quantizing those weights to Q8_0 at load gives fast arithmetic, but
//! 8.5 bits per weight to stream from memory for every decoded token instead
//! of 5.5, and decoding one token is bound by that stream (docs/benchmarks.md
//! compares the two).
//! This kernel keeps the file's Q5_0 bytes and multiplies them directly: the
//! activations are rounded to 8 bits per 32-value block (scale `max|x| / 127`,
//! kept in f32, as ggml's `quantize_row_q8_0`), each weight block unpacks to
//! 32 unsigned 5-bit values `u = w + 16`, and the products are summed in
//! integers, then scaled: `Σ w·x = Σ u·x - 16·Σ x`, with `Σ x` computed once
//! per input block and shared by every weight row (ggml's Q5_1 × Q8_1 trick;
//! it saves ggml's two sign operations per block of `ggml_vec_dot_q5_0_q8_0`).
//! Q8_0 weights (the head, and the Q4_1/Q5_1 weights re-quantized at load) go
//! through the same code with ggml's `ggml_vec_dot_q8_0_q8_0`; candle's own
//! Q8_0 dot converts both f16 scales through a function call per block, which
//! this one avoids (the input's scale is already f32, the weight's is
//! converted inline with F16C).
//!
//! One operation can multiply the same input by several weights (a block's
//! query, key and value projections: [`QDotMatMul::stack`]) or apply a whole
//! SwiGLU feed-forward gate, `silu(x·gateᵀ) * (x·upᵀ)` ([`QDotMatMul::swiglu`]):
//! the input is quantized once and the thread pool started once instead of
//! two or three times, and the gate's intermediate products never reach
//! memory.
//!
//! Work is split over output rows on candle's own CPU thread pool, so it
//! never competes with a second pool for the cores.

use candle_core::backend::BackendStorage;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use std::sync::Arc;

type CResult<T> = candle_core::Result<T>;

/// Values per block (Q5_0, Q8_0 and the 8-bit activations alike).
const QK: usize = 32;
/// Bytes of one Q5_0 block: f16 scale, 32 high bits, 16 bytes of low nibbles.
const Q5_0_BYTES: usize = 22;
/// Bytes of one Q8_0 block: f16 scale, 32 signed bytes.
const Q8_0_BYTES: usize = 34;

/// The weight formats the kernels multiply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Q5_0,
    Q8_0,
}

impl Format {
    fn of(dtype: GgmlDType) -> Option<Self> {
        match dtype {
            GgmlDType::Q5_0 => Some(Format::Q5_0),
            GgmlDType::Q8_0 => Some(Format::Q8_0),
            _ => None,
        }
    }

    /// Bytes of one 32-value block.
    fn block_bytes(self) -> usize {
        match self {
            Format::Q5_0 => Q5_0_BYTES,
            Format::Q8_0 => Q8_0_BYTES,
        }
    }
}

/// One weight matrix `(n, k)` of a [`QDotMatMul`].
#[derive(Clone, Debug)]
struct Part {
    w: Arc<QTensor>,
    n: usize,
    format: Format,
}

impl Part {
    /// Bytes of one weight row.
    fn row_bytes(&self, k: usize) -> usize {
        (k / QK) * self.format.block_bytes()
    }
}

/// How the parts' products make the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Combine {
    /// The parts' outputs side by side along the last dimension.
    Concat,
    /// Two parts of equal height: `silu(x·p0ᵀ) * (x·p1ᵀ)`.
    SwiGlu,
}

/// Q5_0 or Q8_0 weights `(n, k)` ready to multiply f32 inputs `(..., k)` on
/// the CPU, giving `(..., n)` (the same contract as candle's `QMatMul`), or
/// several such weights sharing one input (see [`QDotMatMul::stack`] and
/// [`QDotMatMul::swiglu`]).
#[derive(Clone, Debug)]
pub(crate) struct QDotMatMul {
    parts: Vec<Part>,
    k: usize,
    combine: Combine,
}

impl QDotMatMul {
    /// The kernel for `w` when it applies: a CPU Q5_0 or Q8_0 matrix whose
    /// rows are whole blocks, on an x86-64 CPU with AVX2, FMA and F16C.
    /// `None` otherwise (the caller keeps candle's path).
    pub(crate) fn new(w: Arc<QTensor>) -> Option<Self> {
        let format = Format::of(w.dtype())?;
        if !w.device().is_cpu() || !available() {
            return None;
        }
        let (n, k) = match w.shape().dims() {
            &[n, k] if k % QK == 0 => (n, k),
            _ => return None,
        };
        let bytes = w.data().ok()?.len();
        (bytes == n * (k / QK) * format.block_bytes()).then_some(QDotMatMul {
            parts: vec![Part { w, n, format }],
            k,
            combine: Combine::Concat,
        })
    }

    /// One kernel computing what `kernels` compute, side by side along the
    /// last dimension (for `x`, `[x·aᵀ, x·bᵀ, ...]`): the input is quantized
    /// once and the pool runs once. `None` when the widths differ or a kernel
    /// is itself a SwiGLU.
    pub(crate) fn stack(kernels: &[&QDotMatMul]) -> Option<Self> {
        let k = kernels.first()?.k;
        let mut parts = Vec::new();
        for kernel in kernels {
            if kernel.k != k || kernel.combine != Combine::Concat {
                return None;
            }
            parts.extend(kernel.parts.iter().cloned());
        }
        Some(QDotMatMul {
            parts,
            k,
            combine: Combine::Concat,
        })
    }

    /// One kernel computing a SwiGLU gate, `silu(x·gateᵀ) * (x·upᵀ)` with
    /// `silu(g) = g / (1 + e^-g)`: `None` unless both are single weights of
    /// the same shape.
    pub(crate) fn swiglu(gate: &QDotMatMul, up: &QDotMatMul) -> Option<Self> {
        match (gate.parts.as_slice(), up.parts.as_slice()) {
            ([g], [u]) if g.n == u.n && gate.k == up.k && gate.combine == Combine::Concat => {
                Some(QDotMatMul {
                    parts: vec![g.clone(), u.clone()],
                    k: gate.k,
                    combine: Combine::SwiGlu,
                })
            }
            _ => None,
        }
    }

    /// Whether the weight is Q5_0 (the format candle has no fast kernel for).
    pub(crate) fn is_q5_0(&self) -> bool {
        self.parts.iter().any(|p| p.format == Format::Q5_0)
    }

    /// Output width: the height of the weight, of all stacked weights
    /// together, or of the SwiGLU's gate.
    pub(crate) fn width(&self) -> usize {
        match self.combine {
            Combine::Concat => self.parts.iter().map(|p| p.n).sum(),
            Combine::SwiGlu => self.parts[0].n,
        }
    }

    /// `x @ wᵀ` for `x` of shape `(..., k)`.
    pub(crate) fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        x.contiguous()?.apply_op1_no_bwd(self)
    }
}

/// Whether this CPU runs the kernel.
fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Inputs rounded to 8 bits per 32-value block.
struct Q8Input {
    /// The 8-bit values.
    q: Vec<i8>,
    /// Per block, the scale: `x ≈ q * d`.
    d: Vec<f32>,
    /// Per block, `16 * d * Σ q`: what Q5_0's offset of 16 contributes.
    s: Vec<f32>,
}

impl Q8Input {
    /// Round each 32-value block of `x` to 8 bits: `q = round(x / d)` with
    /// `d = max|x| / 127` (ggml's `quantize_row_q8_0`, with the scale in f32).
    fn new(x: &[f32]) -> Self {
        let blocks = x.len() / QK;
        let mut q = vec![0i8; blocks * QK];
        let mut d = vec![0f32; blocks];
        let mut s = vec![0f32; blocks];
        for (((xb, qb), db), sb) in x
            .chunks_exact(QK)
            .zip(q.chunks_exact_mut(QK))
            .zip(&mut d)
            .zip(&mut s)
        {
            let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
            *db = amax / 127.0;
            let id = if amax > 0.0 { 127.0 / amax } else { 0.0 };
            let mut sum = 0i32;
            for (qv, &xv) in qb.iter_mut().zip(xb) {
                *qv = (xv * id).round() as i8;
                sum += *qv as i32;
            }
            *sb = 16.0 * *db * sum as f32;
        }
        Q8Input { q, d, s }
    }

    /// Input row `i` of width `k`: values, scales and offset terms.
    fn row(&self, i: usize, k: usize) -> (&[i8], &[f32], &[f32]) {
        let kb = k / QK;
        (
            &self.q[i * k..(i + 1) * k],
            &self.d[i * kb..(i + 1) * kb],
            &self.s[i * kb..(i + 1) * kb],
        )
    }
}

impl CustomOp1 for QDotMatMul {
    fn name(&self) -> &'static str {
        match (self.combine, self.parts.as_slice()) {
            (Combine::SwiGlu, _) => "qdot-swiglu",
            (Combine::Concat, [p]) if p.format == Format::Q5_0 => "q5_0-matmul",
            (Combine::Concat, [_]) => "q8_0-matmul",
            (Combine::Concat, _) => "qdot-stacked-matmul",
        }
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> CResult<(CpuStorage, Shape)> {
        let CpuStorage::F32(all) = storage else {
            candle_core::bail!(
                "{}: f32 input expected, got {:?}",
                self.name(),
                storage.dtype()
            );
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("{}: contiguous input expected", self.name());
        };
        let x = &all[start..end];
        let dims = layout.shape().dims();
        if dims.last() != Some(&self.k) {
            candle_core::bail!(
                "{}: input {dims:?} against a weight of width {}",
                self.name(),
                self.k
            );
        }
        let (n, k) = (self.width(), self.k);
        let m = x.len() / k;
        let xq = Q8Input::new(x);
        let data = self
            .parts
            .iter()
            .map(|p| p.w.data())
            .collect::<CResult<Vec<_>>>()?;
        // Per part: bytes, bytes per row, format, first output column.
        let mut parts = Vec::with_capacity(self.parts.len());
        let mut first = 0;
        for (p, bytes) in self.parts.iter().zip(&data) {
            parts.push((&bytes[..], p.row_bytes(k), p.format, first));
            first += p.n;
        }
        let mut out = vec![0f32; m * n];
        let out_ptr = out.as_mut_ptr() as usize;
        let row_dot = |(w, row_bytes, format, _): (&[u8], usize, Format, usize), j, i| {
            let (q, d, s) = xq.row(i, k);
            dot(format, &w[j * row_bytes..(j + 1) * row_bytes], q, d, s)
        };
        let combine = self.combine;
        candle_core::utils::barrier_pool().execute_chunked(n, |rows| {
            for c in rows {
                // The part holding output column `c` (at most three parts:
                // a short scan), once per column.
                let part = parts
                    .iter()
                    .rev()
                    .find(|p| p.3 <= c)
                    .copied()
                    .unwrap_or(parts[0]);
                for i in 0..m {
                    let v = match combine {
                        Combine::Concat => row_dot(part, c - part.3, i),
                        Combine::SwiGlu => {
                            let g = row_dot(parts[0], c, i);
                            let u = row_dot(parts[1], c, i);
                            g / (1.0 + (-g).exp()) * u
                        }
                    };
                    // SAFETY: `i * n + c < m * n`, and each output column `c`
                    // belongs to exactly one chunk: no two workers write one
                    // element, and `out` outlives the pool's work.
                    unsafe { *(out_ptr as *mut f32).add(i * n + c) = v };
                }
            }
        });
        let mut shape = dims.to_vec();
        if let Some(last) = shape.last_mut() {
            *last = n;
        }
        Ok((CpuStorage::F32(out), Shape::from(shape)))
    }
}

/// One weight row (whole blocks of `format`) times one quantized input row
/// (values `xq`, scales `xd`, offset terms `xs`; see [`Q8Input`]).
fn dot(format: Format, w: &[u8], xq: &[i8], xd: &[f32], xs: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `QDotMatMul::new` admits only CPUs with these features, and
        // the slices hold `xd.len()` whole blocks (checked on entry).
        assert!(
            w.len() == xd.len() * format.block_bytes()
                && xq.len() == xd.len() * QK
                && xs.len() == xd.len()
        );
        match format {
            Format::Q5_0 => unsafe { dot_avx2(w, xq, xd, xs) },
            Format::Q8_0 => unsafe { dot_q8_0_avx2(w, xq, xd) },
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (format, w, xq, xd, xs);
        unreachable!("QDotMatMul::new admits x86-64 CPUs only")
    }
}

/// ggml's `ggml_vec_dot_q8_0_q8_0` for AVX2, with the input's scale in f32.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C; `w` must hold `xd.len()` blocks of
/// 34 bytes and `xq` `xd.len()` blocks of 32 values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_q8_0_avx2(w: &[u8], xq: &[i8], xd: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let ones16 = _mm256_set1_epi16(1);
    // Two accumulators: consecutive blocks do not wait on each other's FMA.
    let mut acc = [_mm256_setzero_ps(), _mm256_setzero_ps()];
    for (b, &dx) in xd.iter().enumerate() {
        // SAFETY: block `b` lies inside `w` and `xq` (the function's contract).
        unsafe {
            let p = w.as_ptr().add(b * Q8_0_BYTES);
            let d16 = (p as *const u16).read_unaligned();
            let dw = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(d16 as i32)));
            let wv = _mm256_loadu_si256(p.add(2) as *const __m256i);
            let xv = _mm256_loadu_si256(xq.as_ptr().add(b * QK) as *const __m256i);
            let prod = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
            let sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(ones16, prod));
            acc[b & 1] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx), sums, acc[b & 1]);
        }
    }
    hsum(_mm256_add_ps(acc[0], acc[1]))
}

/// The sum of the eight lanes of `v`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn hsum(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

/// `Σ w·x` for a Q5_0 weight row: ggml's `ggml_vec_dot_q5_0_q8_0` for AVX2
/// with the weights unsigned (`u = w + 16`, so `maddubs` needs no sign
/// juggling) and the offset `16·Σx` of each block taken from `xs`.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C; `w` must hold `xd.len()` blocks of
/// 22 bytes, `xq` `xd.len()` blocks of 32 values and `xs` `xd.len()` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_avx2(w: &[u8], xq: &[i8], xd: &[f32], xs: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    // Two accumulators: consecutive blocks do not wait on each other's FMA.
    let mut acc = [_mm256_setzero_ps(), _mm256_setzero_ps()];
    let mut offset = 0f32;
    let low_nibble = _mm256_set1_epi8(0x0F);
    // Byte i of the broadcast high bits picks byte i / 8 of `qh`...
    let spread = _mm256_set_epi64x(
        0x0303_0303_0303_0303,
        0x0202_0202_0202_0202,
        0x0101_0101_0101_0101,
        0,
    );
    // ...and is all ones exactly when its bit i % 8 is set.
    let bit_of_byte = _mm256_set1_epi64x(0x7fbf_dfef_f7fb_fdfe);
    let all_ones = _mm256_set1_epi8(-1);
    let sixteen = _mm256_set1_epi8(0x10);
    let ones16 = _mm256_set1_epi16(1);
    for (b, (&dx, &sx)) in xd.iter().zip(xs).enumerate() {
        // SAFETY: block `b` lies inside `w` and `xq` (the function's contract).
        unsafe {
            let p = w.as_ptr().add(b * Q5_0_BYTES);
            let d16 = (p as *const u16).read_unaligned();
            let dw = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(d16 as i32)));
            let qh = (p.add(2) as *const u32).read_unaligned();
            let qs = _mm_loadu_si128(p.add(6) as *const __m128i);
            // Values 0..15 are the low nibbles, 16..31 the high ones.
            let nib = _mm256_and_si256(low_nibble, _mm256_set_m128i(_mm_srli_epi16(qs, 4), qs));
            let high = _mm256_shuffle_epi8(_mm256_set1_epi32(qh as i32), spread);
            let high = _mm256_cmpeq_epi8(_mm256_or_si256(high, bit_of_byte), all_ones);
            // u = nibble | fifth bit << 4, in 0..=31.
            let uv = _mm256_or_si256(nib, _mm256_and_si256(high, sixteen));
            let xv = _mm256_loadu_si256(xq.as_ptr().add(b * QK) as *const __m256i);
            // Pairs of u·x fit i16: at most 2 · 31 · 127.
            let prod = _mm256_maddubs_epi16(uv, xv);
            let sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(ones16, prod));
            acc[b & 1] = _mm256_fmadd_ps(_mm256_set1_ps(dw * dx), sums, acc[b & 1]);
            offset = dw.mul_add(sx, offset);
        }
    }
    hsum(_mm256_add_ps(acc[0], acc[1])) - offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::QMatMul;
    use candle_core::{Device, Module};

    /// The plain definition of [`dot`] for Q8_0 weights.
    fn dot_scalar_q8_0(w: &[u8], xq: &[i8], xd: &[f32]) -> f32 {
        let mut sum = 0f32;
        for ((wb, xb), &dx) in w.chunks_exact(Q8_0_BYTES).zip(xq.chunks_exact(QK)).zip(xd) {
            let dw = f16_to_f32(u16::from_le_bytes([wb[0], wb[1]]));
            let s: i32 = wb[2..]
                .iter()
                .zip(xb)
                .map(|(&w, &x)| w as i8 as i32 * x as i32)
                .sum();
            sum += s as f32 * dw * dx;
        }
        sum
    }

    /// The plain definition of [`dot`] for Q5_0 weights (what the AVX2
    /// version must equal).
    fn dot_scalar_q5_0(w: &[u8], xq: &[i8], xd: &[f32]) -> f32 {
        let mut sum = 0f32;
        for ((wb, xb), &dx) in w.chunks_exact(Q5_0_BYTES).zip(xq.chunks_exact(QK)).zip(xd) {
            let dw = f16_to_f32(u16::from_le_bytes([wb[0], wb[1]]));
            let qh = u32::from_le_bytes([wb[2], wb[3], wb[4], wb[5]]);
            let mut s = 0i32;
            for j in 0..QK / 2 {
                let lo = (wb[6 + j] & 0x0F) as i32 | ((((qh >> j) & 1) as i32) << 4);
                let hi = (wb[6 + j] >> 4) as i32 | ((((qh >> (j + 16)) & 1) as i32) << 4);
                s += (lo - 16) * xb[j] as i32 + (hi - 16) * xb[j + QK / 2] as i32;
            }
            sum += s as f32 * dw * dx;
        }
        sum
    }

    /// IEEE half to single precision (the scalar definition's scale decoding).
    fn f16_to_f32(h: u16) -> f32 {
        let sign = ((h >> 15) as u32) << 31;
        let exp = ((h >> 10) & 0x1f) as u32;
        let man = (h & 0x3ff) as u32;
        let bits = match (exp, man) {
            (0, 0) => sign,
            (0, _) => {
                // Subnormal: value = man * 2^-24.
                let v = man as f32 * f32::from_bits(0x3380_0000);
                return if sign != 0 { -v } else { v };
            }
            (0x1f, _) => sign | 0x7f80_0000 | (man << 13),
            _ => sign | ((exp + 127 - 15) << 23) | (man << 13),
        };
        f32::from_bits(bits)
    }

    fn random(n: usize, seed: u64) -> Vec<f32> {
        // A small LCG: deterministic inputs without a dependency.
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5
            })
            .collect()
    }

    fn quantized(n: usize, k: usize, dtype: GgmlDType) -> Arc<QTensor> {
        let w = Tensor::from_vec(random(n * k, 7), (n, k), &Device::Cpu).unwrap();
        Arc::new(QTensor::quantize(&w, dtype).unwrap())
    }

    #[test]
    fn agrees_with_candle_and_with_the_dense_product() {
        if !available() {
            eprintln!("SKIP: this CPU lacks AVX2/FMA/F16C");
            return;
        }
        // 13 output rows (not a multiple of the pool's chunks), 3 x 2 inputs.
        let (n, k) = (13, 896);
        for dtype in [GgmlDType::Q5_0, GgmlDType::Q8_0] {
            let w = quantized(n, k, dtype);
            let kernel = QDotMatMul::new(w.clone()).unwrap();
            assert_eq!(kernel.is_q5_0(), dtype == GgmlDType::Q5_0);
            let x = Tensor::from_vec(random(6 * k, 11), (3, 2, k), &Device::Cpu).unwrap();
            let ours = kernel.forward(&x).unwrap();
            assert_eq!(ours.dims(), &[3, 2, n]);
            let candle = QMatMul::from_arc(w.clone()).unwrap().forward(&x).unwrap();
            let dense = x
                .broadcast_matmul(&w.dequantize(&Device::Cpu).unwrap().t().unwrap())
                .unwrap();
            let ours = ours.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            for (name, other) in [("candle", candle), ("dense", dense)] {
                let other = other.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let scale = other.iter().fold(0f32, |m, v| m.max(v.abs()));
                let worst = ours
                    .iter()
                    .zip(&other)
                    .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                // Only the 8-bit rounding of the inputs differs (candle keeps
                // the input scale in f16, this kernel in f32).
                assert!(
                    worst <= 0.01 * scale,
                    "{dtype:?} vs {name}: worst {worst} of {scale}"
                );
            }
        }
    }

    #[test]
    fn the_avx2_dot_equals_the_scalar_definition() {
        if !available() {
            eprintln!("SKIP: this CPU lacks AVX2/FMA/F16C");
            return;
        }
        let (n, k) = (5, 256);
        let x = random(k, 3);
        let xq = Q8Input::new(&x);
        let (q, d, s) = xq.row(0, k);
        for (format, dtype, scalar) in [
            (
                Format::Q5_0,
                GgmlDType::Q5_0,
                dot_scalar_q5_0 as fn(&[u8], &[i8], &[f32]) -> f32,
            ),
            (Format::Q8_0, GgmlDType::Q8_0, dot_scalar_q8_0),
        ] {
            let w = quantized(n, k, dtype);
            let bytes = w.data().unwrap();
            let row_bytes = (k / QK) * format.block_bytes();
            for j in 0..n {
                let row = &bytes[j * row_bytes..(j + 1) * row_bytes];
                let (a, b) = (dot(format, row, q, d, s), scalar(row, q, d));
                assert!(
                    (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                    "{dtype:?} row {j}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn stacked_and_swiglu_kernels_equal_their_parts() {
        if !available() {
            eprintln!("SKIP: this CPU lacks AVX2/FMA/F16C");
            return;
        }
        let k = 128;
        let a = QDotMatMul::new(quantized(9, k, GgmlDType::Q5_0)).unwrap();
        let b = QDotMatMul::new(quantized(4, k, GgmlDType::Q8_0)).unwrap();
        let c = QDotMatMul::new(quantized(3, k, GgmlDType::Q5_0)).unwrap();
        let x = Tensor::from_vec(random(2 * k, 5), (1, 2, k), &Device::Cpu).unwrap();
        let one = |kernel: &QDotMatMul| kernel.forward(&x).unwrap();
        let stacked = QDotMatMul::stack(&[&a, &b, &c]).unwrap();
        assert!(stacked.is_q5_0());
        let separate = Tensor::cat(&[one(&a), one(&b), one(&c)], 2).unwrap();
        // The same arithmetic on the same quantized input: equal exactly.
        assert_eq!(
            one(&stacked)
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap(),
            separate.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        );
        let up = QDotMatMul::new(quantized(9, k, GgmlDType::Q8_0)).unwrap();
        let glu = QDotMatMul::swiglu(&a, &up).unwrap();
        let expected = (candle_nn::ops::silu(&one(&a)).unwrap() * one(&up)).unwrap();
        let got = one(&glu).flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let expected = expected.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(got.len(), 18);
        for (g, e) in got.iter().zip(&expected) {
            assert!((g - e).abs() <= 1e-6 * e.abs().max(1.0), "{g} vs {e}");
        }
        // Shapes that cannot combine are refused.
        assert!(QDotMatMul::swiglu(&a, &b).is_none());
        assert!(QDotMatMul::swiglu(&stacked, &a).is_none());
        let wide = QDotMatMul::new(quantized(2, 2 * k, GgmlDType::Q5_0)).unwrap();
        assert!(QDotMatMul::stack(&[&a, &wide]).is_none());
    }

    #[test]
    fn applies_only_to_q5_0_and_q8_0_matrices() {
        assert!(QDotMatMul::new(quantized(4, 64, GgmlDType::Q4_0)).is_none());
        assert!(QDotMatMul::new(quantized(4, 64, GgmlDType::Q4_1)).is_none());
        assert_eq!(
            QDotMatMul::new(quantized(4, 64, GgmlDType::Q5_0)).is_some(),
            available()
        );
        let q8 = QDotMatMul::new(quantized(4, 64, GgmlDType::Q8_0));
        assert_eq!(q8.is_some(), available());
    }

    #[test]
    fn f16_scales_decode_exactly() {
        for (h, v) in [
            (0x3c00u16, 1.0f32),
            (0xc000, -2.0),
            (0x0001, 5.960_464_5e-8),
            (0, 0.0),
        ] {
            assert_eq!(f16_to_f32(h), v);
        }
    }
}
