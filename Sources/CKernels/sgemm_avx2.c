// The AVX2 + FMA path: tiles of up to 6 rows × 16 columns, two ymm accumulators per row (12 of the 16
// registers), one broadcast of A per row and depth step, two loads of the packed B row per depth step.
#include "sgemm_internal.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define CK_AVX2 __attribute__((target("avx2,fma")))
#define CK_INLINE static inline __attribute__((always_inline))

enum { MR = 6, NR = 16 };

/// All-ones in the lanes of vector `v` (8 columns each) that hold one of the tile's `cols` columns.
CK_INLINE CK_AVX2 __m256i columnMask(ptrdiff_t cols, int v) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(cols - 8 * v)), lane);
}

/// One rows × (8·vectors) tile; `rows`, `vectors` and one of the strides are constants in each instance.
CK_INLINE CK_AVX2 void tile(const int rows, const int vectors, ptrdiff_t kc, const float *restrict a,
                            ptrdiff_t rsa, ptrdiff_t csa, const float *restrict b, float *restrict c,
                            ptrdiff_t ldc, ptrdiff_t cols, int accumulate) {
    __m256 acc[MR][2];
    const __m256i m0 = columnMask(cols, 0), m1 = columnMask(cols, 1);
    for (int i = 0; i < rows; i++) {
        acc[i][0] = accumulate ? _mm256_maskload_ps(c + i * ldc, m0) : _mm256_setzero_ps();
        acc[i][1] = accumulate && vectors > 1 ? _mm256_maskload_ps(c + i * ldc + 8, m1) : _mm256_setzero_ps();
    }
    for (ptrdiff_t p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_load_ps(b + p * NR);
        const __m256 b1 = vectors > 1 ? _mm256_load_ps(b + p * NR + 8) : b0;
        for (int i = 0; i < rows; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + i * rsa + p * csa);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            if (vectors > 1) acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < rows; i++) {
        _mm256_maskstore_ps(c + i * ldc, m0, acc[i][0]);
        if (vectors > 1) _mm256_maskstore_ps(c + i * ldc + 8, m1, acc[i][1]);
    }
}

#define CK_INSTANCES(R) CK_TILE_INSTANCES(CK_AVX2, R, 1) CK_TILE_INSTANCES(CK_AVX2, R, 2)
CK_FOR_ROWS_1_TO_6(CK_INSTANCES)
#undef CK_INSTANCES
CK_TILE_TABLE(CK_FOR_ROWS_1_TO_6, 2)

const ck_path_kernels ck_avx2_kernels = {.mr = MR, .nr = NR, .width = 8, .kcMax = 256, .tile = lookup};

#endif
