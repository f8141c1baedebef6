// Debian's oneDNN (libdnnl-dev 2.6, OpenMP runtime): its JIT sgemm picks kernels by the CPU's instruction set
// at run time (AVX2, AVX-512, AMX…), not from a table of CPU models as OpenBLAS 0.3.21 does.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

// libgomp's; declared here because clang does not see gcc's omp.h. Sets the calling thread's own
// nthreads ICV (OpenMP keeps one per thread), so one caller cannot change another's thread count.
void omp_set_num_threads(int);
int omp_get_max_threads(void);

/// Row-major C = alpha·op(A)·op(B) + beta·C on the calling thread only: a GEMM's reduction order then
/// never depends on how many threads the process has.
static inline dnnl_status_t cxr_sgemm_single_thread(char transa, char transb, dnnl_dim_t m, dnnl_dim_t n,
        dnnl_dim_t k, float alpha, const float *a, dnnl_dim_t lda, const float *b, dnnl_dim_t ldb,
        float beta, float *c, dnnl_dim_t ldc) {
    omp_set_num_threads(1);
    return dnnl_sgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// DNNL_MEMORY_ALLOCATE is a cast macro Swift cannot import.
static inline void *cxr_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
