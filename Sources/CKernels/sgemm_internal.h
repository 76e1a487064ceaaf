// What the driver (sgemm.c) knows about each instruction-set path: its tile shape, its blocking and its tiles.
#ifndef CKERNELS_SGEMM_INTERNAL_H
#define CKERNELS_SGEMM_INTERNAL_H

#include <stddef.h>

/// One tile of C: rows × cols (cols ≤ NR) over depth kc, C(i, j) = c[i·ldc + j]. op(A)(i, p) = a[i·rsa + p·csa];
/// row p of the packed panel is b[p·NR ..< p·NR + NR]. `accumulate` = 0: the chain starts at zero (the first
/// depth block); 1: it continues from the value in C (a later depth block). Each entry is one fma chain.
typedef void (*ck_tile_fn)(ptrdiff_t kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, float *c,
                           ptrdiff_t ldc, ptrdiff_t cols, int accumulate);

/// The A layouts a tile is specialised for: rows contiguous along the depth (csa = 1: op(A) = A row-major) or
/// columns contiguous (rsa = 1: op(A) = Aᵀ of a row-major matrix). Other strides are copied to column layout.
enum { CK_LAYOUT_ROWS = 0, CK_LAYOUT_COLUMNS = 1 };

/// A path's shape and tiles. `tile(layout, vectors, rows)` serves rows 1…mr and vectors 1…nr / width (the
/// columns of a narrow last panel take fewer vectors; the packed panel is still nr wide).
typedef struct {
    int mr, nr, width;
    /// The largest depth block: kc × NR floats of one panel stay in L1, kc × nc floats of B in L2.
    ptrdiff_t kcMax;
    ck_tile_fn (*tile)(int layout, int vectors, int rows);
} ck_path_kernels;

#if defined(__x86_64__) || defined(_M_X64)
extern const ck_path_kernels ck_avx512_kernels;
extern const ck_path_kernels ck_avx2_kernels;
#endif
#if defined(__aarch64__)
extern const ck_path_kernels ck_neon_kernels;
#endif

/// Expands `M(rows)` for rows 1…MR of each path.
#define CK_FOR_ROWS_1_TO_6(M) M(1) M(2) M(3) M(4) M(5) M(6)
#define CK_FOR_ROWS_1_TO_8(M) CK_FOR_ROWS_1_TO_6(M) M(7) M(8)
#define CK_FOR_ROWS_1_TO_12(M) CK_FOR_ROWS_1_TO_8(M) M(9) M(10) M(11) M(12)

/// The two `ck_tile_fn`s of a path's inline `tile(rows, vectors, kc, a, rsa, csa, b, c, ldc, cols, accumulate)`
/// for R rows and V vectors, with `ATTR` (the path's target attribute): `rowsRvV` with csa = 1 and `colsRvV` with
/// rsa = 1, so that each instance has constant loop bounds and one constant stride.
#define CK_TILE_INSTANCES(ATTR, R, V)                                                                        \
    static ATTR void rows##R##v##V(ptrdiff_t kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, \
                                   float *c, ptrdiff_t ldc, ptrdiff_t cols, int acc) {                          \
        (void)csa;                                                                                           \
        tile(R, V, kc, a, rsa, 1, b, c, ldc, cols, acc);                                                     \
    }                                                                                                        \
    static ATTR void cols##R##v##V(ptrdiff_t kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, \
                                   float *c, ptrdiff_t ldc, ptrdiff_t cols, int acc) {                          \
        (void)rsa;                                                                                           \
        tile(R, V, kc, a, 1, csa, b, c, ldc, cols, acc);                                                     \
    }

/// The table `tiles[layout][rows − 1][vectors − 1]` of a path with `MR` rows and up to 2 (or 3) vectors, filled
/// from the instances above, and `lookup`, the path's `ck_path_kernels.tile`.
#define CK_ROW_ENTRY_2(R) {rows##R##v1, rows##R##v2},
#define CK_COLUMN_ENTRY_2(R) {cols##R##v1, cols##R##v2},
#define CK_ROW_ENTRY_3(R) {rows##R##v1, rows##R##v2, rows##R##v3},
#define CK_COLUMN_ENTRY_3(R) {cols##R##v1, cols##R##v2, cols##R##v3},
#define CK_TILE_TABLE(FOR_ROWS, VECTORS)                                                                     \
    static const ck_tile_fn tiles[2][MR][VECTORS] = {                                                        \
        {FOR_ROWS(CK_ROW_ENTRY_##VECTORS)},                                                                  \
        {FOR_ROWS(CK_COLUMN_ENTRY_##VECTORS)},                                                               \
    };                                                                                                       \
    static ck_tile_fn lookup(int layout, int vectors, int rows) { return tiles[layout][rows - 1][vectors - 1]; }

#endif
