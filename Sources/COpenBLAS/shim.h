// Debian's OpenBLAS (libopenblas-dev): CBLAS, and the LAPACK routines we call directly.
#include <cblas.h>
#include <stddef.h>

// LAPACK's Cholesky solver for symmetric positive definite systems (ridge regression in LIME).
// gfortran ABI: CHARACTER arguments carry a hidden length at the end. Debian ships no lapacke.h for OpenBLAS.
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b,
            const int *ldb, int *info, size_t uplo_length);
