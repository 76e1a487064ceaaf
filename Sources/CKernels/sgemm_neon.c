// The arm64 Advanced SIMD path: tiles of up to 8 rows × 12 columns, three q-register accumulators per row (24 of
// the 32 registers), one broadcast of A per row and depth step, three loads of the packed B row per depth step.
#include "sgemm_internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define CK_INLINE static inline __attribute__((always_inline))
/// Advanced SIMD is part of the arm64 baseline: no target attribute is needed.
#define CK_NEON

enum { MR = 8, NR = 12 };

/// One rows × (4·vectors) tile; `rows`, `vectors` and one of the strides are constants in each instance. A tile
/// narrower than its vectors (the last panel) goes through a zero-padded copy of its rows of C.
CK_INLINE void tile(const int rows, const int vectors, ptrdiff_t kc, const float *restrict a, ptrdiff_t rsa,
                    ptrdiff_t csa, const float *restrict b, float *restrict c, ptrdiff_t ldc, ptrdiff_t cols,
                    int accumulate) {
    float32x4_t acc[MR][3];
    const int full = cols == 4 * vectors;
    float edge[MR][NR];
    for (int i = 0; i < rows; i++) {
        const float *row = c + i * ldc;
        if (accumulate && !full) {
            for (int j = 0; j < NR; j++) edge[i][j] = j < cols ? row[j] : 0;
            row = edge[i];
        }
        for (int v = 0; v < vectors; v++) acc[i][v] = accumulate ? vld1q_f32(row + 4 * v) : vdupq_n_f32(0);
    }
    for (ptrdiff_t p = 0; p < kc; p++) {
        float32x4_t bv[3];
        for (int v = 0; v < vectors; v++) bv[v] = vld1q_f32(b + p * NR + 4 * v);
        for (int i = 0; i < rows; i++) {
            const float ai = a[i * rsa + p * csa];
            for (int v = 0; v < vectors; v++) acc[i][v] = vfmaq_n_f32(acc[i][v], bv[v], ai);
        }
    }
    for (int i = 0; i < rows; i++) {
        float *row = full ? c + i * ldc : edge[i];
        for (int v = 0; v < vectors; v++) vst1q_f32(row + 4 * v, acc[i][v]);
        if (!full)
            for (ptrdiff_t j = 0; j < cols; j++) c[i * ldc + j] = edge[i][j];
    }
}

#define CK_INSTANCES(R) CK_TILE_INSTANCES(CK_NEON, R, 1) CK_TILE_INSTANCES(CK_NEON, R, 2) CK_TILE_INSTANCES(CK_NEON, R, 3)
CK_FOR_ROWS_1_TO_8(CK_INSTANCES)
#undef CK_INSTANCES
CK_TILE_TABLE(CK_FOR_ROWS_1_TO_8, 3)

const ck_path_kernels ck_neon_kernels = {.mr = MR, .nr = NR, .width = 4, .kcMax = 256, .tile = lookup};

#endif
