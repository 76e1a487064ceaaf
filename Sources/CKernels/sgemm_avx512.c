// The AVX-512F path: tiles of up to 12 rows × 32 columns, two zmm accumulators per row (24 of the 32 registers),
// one broadcast of A per row and depth step, two loads of the packed B row per depth step.
#include "sgemm_internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define CK_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define CK_INLINE static inline __attribute__((always_inline))

enum { MR = 12, NR = 32 };

/// The lanes of vector `v` (16 columns each) that hold one of the tile's `cols` columns.
CK_INLINE CK_AVX512 __mmask16 columnMask(ptrdiff_t cols, int v) {
    ptrdiff_t here = cols - 16 * v;
    return here >= 16 ? (__mmask16)0xFFFF : here <= 0 ? (__mmask16)0 : (__mmask16)((1u << here) - 1);
}

/// One rows × (16·vectors) tile; `rows`, `vectors` and one of the strides are constants in each instance, so the
/// accumulators live in registers and the loops unroll.
CK_INLINE CK_AVX512 void tile(const int rows, const int vectors, ptrdiff_t kc, const float *restrict a,
                              ptrdiff_t rsa, ptrdiff_t csa, const float *restrict b, float *restrict c,
                              ptrdiff_t ldc, ptrdiff_t cols, int accumulate) {
    __m512 acc[MR][2];
    const __mmask16 m0 = columnMask(cols, 0), m1 = columnMask(cols, 1);
    for (int i = 0; i < rows; i++) {
        acc[i][0] = accumulate ? _mm512_maskz_loadu_ps(m0, c + i * ldc) : _mm512_setzero_ps();
        acc[i][1] = accumulate && vectors > 1 ? _mm512_maskz_loadu_ps(m1, c + i * ldc + 16) : _mm512_setzero_ps();
    }
    for (ptrdiff_t p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_load_ps(b + p * NR);
        const __m512 b1 = vectors > 1 ? _mm512_load_ps(b + p * NR + 16) : b0;
        for (int i = 0; i < rows; i++) {
            const __m512 ai = _mm512_set1_ps(a[i * rsa + p * csa]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            if (vectors > 1) acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < rows; i++) {
        _mm512_mask_storeu_ps(c + i * ldc, m0, acc[i][0]);
        if (vectors > 1) _mm512_mask_storeu_ps(c + i * ldc + 16, m1, acc[i][1]);
    }
}

#define CK_INSTANCES(R) CK_TILE_INSTANCES(CK_AVX512, R, 1) CK_TILE_INSTANCES(CK_AVX512, R, 2)
CK_FOR_ROWS_1_TO_12(CK_INSTANCES)
#undef CK_INSTANCES
CK_TILE_TABLE(CK_FOR_ROWS_1_TO_12, 2)

const ck_path_kernels ck_avx512_kernels = {.mr = MR, .nr = NR, .width = 16, .kcMax = 384, .tile = lookup};

#endif
