// Debian's OpenBLAS (libopenblas-dev): CBLAS and LAPACKE-free LAPACK entry points.
#include <cblas.h>

// LAPACK's symmetric positive definite solver (Fortran symbol from OpenBLAS), for ridge regression.
void sposv_(const char *uplo, const int *n, const int *nrhs, float *a, const int *lda, float *b,
            const int *ldb, int *info);
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b,
            const int *ldb, int *info);
