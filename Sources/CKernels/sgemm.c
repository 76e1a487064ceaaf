// The SGEMM driver: run-time choice of the path, packing of B, and the blocked loops around the tiles.
//
// Loops (Goto/BLIS order, with A read in place rather than packed):
//   depth blocks of kc (each entry's fma chain continues through C from one block to the next)
//     column chunks of nc (kc × nc floats of packed B stay in L2)
//       tiles of MR rows (the MR × kc floats of A they read stay in L1)
//         panels of NR columns of the chunk → one tile
#include "include/CKernels.h"
#include "sgemm_internal.h"

#include <stdlib.h>
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define CK_THREAD_SCRATCH 1
#endif

/// The kernels of `path`, or NULL when this build or this CPU cannot run it.
static const ck_path_kernels *kernelsOf(int path) {
#if defined(__x86_64__) || defined(_M_X64)
    __builtin_cpu_init();
    if (path == CK_PATH_AVX512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2")
        && __builtin_cpu_supports("fma"))
        return &ck_avx512_kernels;
    if (path == CK_PATH_AVX2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return &ck_avx2_kernels;
#elif defined(__aarch64__)
    if (path == CK_PATH_NEON) return &ck_neon_kernels;
#endif
    (void)path;
    return NULL;
}

int ck_sgemm_supported(int path) { return kernelsOf(path) != NULL; }

int ck_sgemm_best_path(void) {
    const int widestFirst[] = {CK_PATH_AVX512, CK_PATH_AVX2, CK_PATH_NEON};
    for (int i = 0; i < 3; i++)
        if (kernelsOf(widestFirst[i])) return widestFirst[i];
    return CK_PATH_NONE;
}

ptrdiff_t ck_sgemm_panel_width(int path) {
    const ck_path_kernels *kernels = kernelsOf(path);
    return kernels ? kernels->nr : 0;
}

ptrdiff_t ck_sgemm_tile_rows(int path) {
    const ck_path_kernels *kernels = kernelsOf(path);
    return kernels ? kernels->mr : 0;
}

/// The depth block for depth k: k split into ⌈k / kcMax⌉ blocks of equal size (the last may be shorter).
static ptrdiff_t depthBlock(const ck_path_kernels *kernels, ptrdiff_t k) {
    if (k <= kernels->kcMax) return k;
    ptrdiff_t blocks = (k + kernels->kcMax - 1) / kernels->kcMax;
    return (k + blocks - 1) / blocks;
}

ptrdiff_t ck_sgemm_depth_block(int path, ptrdiff_t k) {
    const ck_path_kernels *kernels = kernelsOf(path);
    return kernels && k > 0 ? depthBlock(kernels, k) : 0;
}

/// Floats of packed B one column chunk may hold (kc × nc): half of a 1 MiB L2, the rest for A, C and the rest.
enum { CK_CHUNK_FLOATS = (512 * 1024) / 4 };

/// The columns of one chunk for depth blocks of `depth`: as many whole panels as fit CK_CHUNK_FLOATS, at least one.
static ptrdiff_t chunkColumns(const ck_path_kernels *kernels, ptrdiff_t depth) {
    const ptrdiff_t panels = CK_CHUNK_FLOATS / (depth * kernels->nr);
    return (panels > 1 ? panels : 1) * kernels->nr;
}

ptrdiff_t ck_sgemm_chunk_columns(int path, ptrdiff_t depth) {
    const ck_path_kernels *kernels = kernelsOf(path);
    return kernels && depth > 0 ? chunkColumns(kernels, depth) : 0;
}

static ptrdiff_t paddedColumns(const ck_path_kernels *kernels, ptrdiff_t n) {
    return (n + kernels->nr - 1) / kernels->nr * kernels->nr;
}

size_t ck_sgemm_packed_count(int path, ptrdiff_t k, ptrdiff_t n) {
    const ck_path_kernels *kernels = kernelsOf(path);
    if (!kernels || k <= 0 || n <= 0) return 0;
    return (size_t)(k * paddedColumns(kernels, n));
}

#if defined(__clang__)
/// Four floats in one vector register (SSE on x86-64, Advanced SIMD on arm64), for the transposing copy.
typedef float ck_float4 __attribute__((ext_vector_type(4)));

/// Copies the 4 × 4 block src[j·stride + p] (j, p < 4) to dst[p·nr + j]: four loads along p, eight shuffles,
/// four stores along j.
static inline void transpose4x4(const float *src, ptrdiff_t stride, float *dst, ptrdiff_t nr) {
    ck_float4 r0, r1, r2, r3;
    __builtin_memcpy(&r0, src, 16);
    __builtin_memcpy(&r1, src + stride, 16);
    __builtin_memcpy(&r2, src + 2 * stride, 16);
    __builtin_memcpy(&r3, src + 3 * stride, 16);
    const ck_float4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5), t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
    const ck_float4 t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5), t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
    const ck_float4 o0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5), o1 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
    const ck_float4 o2 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5), o3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
    __builtin_memcpy(dst, &o0, 16);
    __builtin_memcpy(dst + nr, &o1, 16);
    __builtin_memcpy(dst + 2 * nr, &o2, 16);
    __builtin_memcpy(dst + 3 * nr, &o3, 16);
}
#endif

/// One panel: kc rows of `cols` ≤ NR columns of op(B) from `b` (its first entry), each row NR floats long with
/// zeros past `cols`.
static void packPanel(ptrdiff_t nr, ptrdiff_t kc, ptrdiff_t cols, const float *b, ptrdiff_t rsb, ptrdiff_t csb,
                      float *out) {
    if (csb == 1) {  // rows of the panel are contiguous in B
        for (ptrdiff_t p = 0; p < kc; p++) {
            __builtin_memcpy(out + p * nr, b + p * rsb, (size_t)cols * sizeof(float));
            for (ptrdiff_t j = cols; j < nr; j++) out[p * nr + j] = 0;
        }
        return;
    }
    ptrdiff_t j = 0, p0 = 0;
#if defined(__clang__)
    if (rsb == 1) {  // columns of the panel are contiguous: transpose 4 × 4 blocks, then the edges one by one
        for (; j + 4 <= cols; j += 4)
            for (ptrdiff_t p = 0; p + 4 <= kc; p += 4) transpose4x4(b + j * csb + p, csb, out + p * nr + j, nr);
        p0 = kc / 4 * 4;
        for (ptrdiff_t jj = 0; jj < j; jj++)  // the last kc mod 4 rows of the transposed columns
            for (ptrdiff_t p = p0; p < kc; p++) out[p * nr + jj] = b[jj * csb + p];
    }
#endif
    (void)p0;
    for (; j < cols; j++) {  // the remaining columns (all of them when neither stride is 1)
        const float *src = b + j * csb;
        for (ptrdiff_t p = 0; p < kc; p++) out[p * nr + j] = src[p * rsb];
    }
    for (ptrdiff_t p = 0; p < kc; p++)
        for (ptrdiff_t jj = cols; jj < nr; jj++) out[p * nr + jj] = 0;
}

void ck_sgemm_pack_b(int path, ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rsb, ptrdiff_t csb,
                     float *packed) {
    const ck_path_kernels *kernels = kernelsOf(path);
    if (!kernels || k <= 0 || n <= 0) return;
    const ptrdiff_t nr = kernels->nr, kc = depthBlock(kernels, k), padded = paddedColumns(kernels, n);
    for (ptrdiff_t p0 = 0; p0 < k; p0 += kc) {
        const ptrdiff_t depth = k - p0 < kc ? k - p0 : kc;
        for (ptrdiff_t j0 = 0; j0 < n; j0 += nr) {
            const ptrdiff_t cols = n - j0 < nr ? n - j0 : nr;
            packPanel(nr, depth, cols, b + p0 * rsb + j0 * csb, rsb, csb, packed + p0 * padded + j0 * depth);
        }
    }
}

/// Columns [j0, j1) of C for one depth block [p0, p0 + depth); A is read in place with the layout's tiles. No
/// tile writes past j1.
static void multiplyBlock(const ck_path_kernels *kernels, int layout, ptrdiff_t m, ptrdiff_t p0, ptrdiff_t depth,
                          const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *block, ptrdiff_t j0,
                          ptrdiff_t j1, float *c, ptrdiff_t ldc) {
    const ptrdiff_t mr = kernels->mr, nr = kernels->nr, width = kernels->width;
    const ptrdiff_t chunk = chunkColumns(kernels, depth);
    for (ptrdiff_t jc = j0; jc < j1; jc += chunk) {
        const ptrdiff_t jcEnd = j1 - jc < chunk ? j1 : jc + chunk;
        for (ptrdiff_t i = 0; i < m; i += mr) {
            const int rows = (int)(m - i < mr ? m - i : mr);
            const float *ai = a + i * rsa + p0 * csa;
            for (ptrdiff_t j = jc; j < jcEnd; j += nr) {
                const ptrdiff_t cols = jcEnd - j < nr ? jcEnd - j : nr;
                const int vectors = (int)((cols + width - 1) / width);
                kernels->tile(layout, vectors, rows)(depth, ai, rsa, csa, block + j * depth, c + i * ldc + j, ldc,
                                                     cols, p0 > 0);
            }
        }
    }
}

int ck_sgemm_packed(int path, ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
                    const float *packed, ptrdiff_t n, ptrdiff_t j0, ptrdiff_t j1, float *c, ptrdiff_t ldc) {
    const ck_path_kernels *kernels = kernelsOf(path);
    if (!kernels || (rsa != 1 && csa != 1) || j0 < 0 || j0 % kernels->nr != 0 || j1 > n) return -1;
    if (m <= 0 || j1 <= j0) return 0;
    if (k <= 0) {
        for (ptrdiff_t i = 0; i < m; i++)
            for (ptrdiff_t j = j0; j < j1; j++) c[i * ldc + j] = 0;
        return 0;
    }
    const ptrdiff_t kc = depthBlock(kernels, k), padded = paddedColumns(kernels, n);
    const int layout = csa == 1 ? CK_LAYOUT_ROWS : CK_LAYOUT_COLUMNS;
    for (ptrdiff_t p0 = 0; p0 < k; p0 += kc) {
        const ptrdiff_t depth = k - p0 < kc ? k - p0 : kc;
        multiplyBlock(kernels, layout, m, p0, depth, a, rsa, csa, packed + p0 * padded, j0, j1, c, ldc);
    }
    return 0;
}

#if CK_THREAD_SCRATCH
/// The calling thread's scratch buffer: its address and capacity in floats, behind one pthread key whose
/// destructor frees it when the thread exits.
typedef struct {
    float *data;
    size_t capacity;
} ck_scratch;

static pthread_key_t scratchKey;
static pthread_once_t scratchOnce = PTHREAD_ONCE_INIT;
static int scratchKeyMade = 0;

static void freeScratch(void *value) {
    ck_scratch *scratch = value;
    free(scratch->data);
    free(scratch);
}

static void makeScratchKey(void) { scratchKeyMade = pthread_key_create(&scratchKey, freeScratch) == 0; }

float *ck_sgemm_thread_scratch(size_t floats) {
    pthread_once(&scratchOnce, makeScratchKey);
    if (!scratchKeyMade || floats == 0 || floats > ((size_t)1 << 40)) return NULL;
    ck_scratch *scratch = pthread_getspecific(scratchKey);
    if (!scratch) {
        scratch = calloc(1, sizeof *scratch);
        if (!scratch || pthread_setspecific(scratchKey, scratch) != 0) {
            free(scratch);
            return NULL;
        }
    }
    if (scratch->capacity < floats) {
        const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        float *grown = aligned_alloc(64, bytes);
        if (!grown) return NULL;
        free(scratch->data);
        scratch->data = grown;
        scratch->capacity = floats;
    }
    return scratch->data;
}
#else
float *ck_sgemm_thread_scratch(size_t floats) {
    (void)floats;
    return NULL;
}
#endif
