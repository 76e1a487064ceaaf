// CKernels: single-precision matrix-product (SGEMM) microkernels in C, one per instruction set, chosen at run
// time from the CPU's features. Compiled with function target attributes only (no per-file or package flags), so
// the package builds for the default target of every platform and uses wider units where the CPU has them.
//
// Every path computes each entry of C = op(A)·op(B) as one chain of fused multiply-adds in increasing depth:
//
//     c = 0;  for p in 0 ..< k:  c = fma(a(i, p), b(p, j), c)
//
// whatever the tile, the blocking, the edge or the thread that computes it, so every path gives the same bits
// (IEEE fma is correctly rounded) and results never depend on how the work is split.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction-set paths. `CK_PATH_NONE` means no C kernel runs here: the caller uses its portable path.
enum {
    CK_PATH_NONE = 0,
    /// x86-64 with AVX2 and FMA: 6 × 16 tiles in 12 ymm accumulators.
    CK_PATH_AVX2 = 1,
    /// x86-64 with AVX-512F: 12 × 32 tiles in 24 zmm accumulators.
    CK_PATH_AVX512 = 2,
    /// arm64 with Advanced SIMD (always present): 8 × 12 tiles in 24 q-register accumulators.
    CK_PATH_NEON = 3,
};

/// 1 if `path` was compiled into this build and the CPU (and the OS, for the vector state) can run it, else 0.
int ck_sgemm_supported(int path);

/// The widest supported path: AVX-512, then AVX2, on x86-64; NEON on arm64; else `CK_PATH_NONE`.
int ck_sgemm_best_path(void);

/// The number of floats `ck_sgemm_pack_b` writes for a k × n right operand on `path` (0 for an unsupported path).
size_t ck_sgemm_packed_count(int path, ptrdiff_t k, ptrdiff_t n);

/// Copies op(B), k × n with op(B)(p, j) = b[p·rsb + j·csb], into the layout `path`'s kernels read: depth blocks
/// of at most the path's depth-block size, each holding panels of NR columns (zero past n), row p of a panel
/// being NR contiguous floats. `packed` holds `ck_sgemm_packed_count(path, k, n)` floats, 64-byte aligned.
/// O(k·n).
void ck_sgemm_pack_b(int path, ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rsb, ptrdiff_t csb,
                     float *packed);

/// Writes columns [j0, j1) of C = op(A)·op(B) for m rows, with op(A)(i, p) = a[i·rsa + p·csa] (A is read in
/// place: rsa = 1 or csa = 1), op(B) packed by `ck_sgemm_pack_b` on the same `path` with the same k and n, and
/// C(i, j) at c[i·ldc + j]. `j0` must be a multiple of the path's panel width (`ck_sgemm_panel_width`),
/// 0 ≤ j0, j1 ≤ n; nothing outside those columns is written. C is only written, never read first; k = 0 writes
/// zeros. Single-threaded and reentrant: threads may share one packed B and write disjoint rows or column ranges
/// of C. Returns 0, or −1 (nothing written) for an unsupported path, strides or column range.
/// O(m·(j1 − j0)·k).
int ck_sgemm_packed(int path, ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
                    const float *packed, ptrdiff_t n, ptrdiff_t j0, ptrdiff_t j1, float *c, ptrdiff_t ldc);

/// A 64-byte aligned buffer of at least `floats` floats that belongs to the calling thread: the same memory for
/// its later calls (grown when they ask for more, so a product repeated in a training loop packs into memory that
/// is already mapped and cached), freed when the thread exits. A later call on the same thread may move or reuse
/// it, so a thread uses one result at a time. NULL when it cannot be allocated or the platform has no thread keys.
float *ck_sgemm_thread_scratch(size_t floats);

/// NR, the panel width of `path` in columns (0 for an unsupported path).
ptrdiff_t ck_sgemm_panel_width(int path);

/// MR, the rows of one tile of `path` (0 for an unsupported path).
ptrdiff_t ck_sgemm_tile_rows(int path);

/// The depth block `path` uses for depth k: k split into equal blocks of at most the path's largest block
/// (384 on AVX-512, 256 on AVX2 and NEON), so that one panel of packed B (block × NR floats) stays in L1.
ptrdiff_t ck_sgemm_depth_block(int path, ptrdiff_t k);

/// The columns of packed B one pass over the rows uses, for depth blocks of `depth`: as many whole panels as fit
/// in 512 KiB (half of a 1 MiB L2), at least one.
ptrdiff_t ck_sgemm_chunk_columns(int path, ptrdiff_t depth);

#ifdef __cplusplus
}
#endif

#endif
