import COneDNN

/// The engine's one matrix product: oneDNN's sgemm, whose JIT kernels are chosen by the instruction set of
/// the CPU the program runs on. Always on the calling thread (see `Parallel`): the same inputs give the same
/// bits whatever the process's thread count. Different instruction sets (AVX2 against AVX-512) may round the
/// last bits differently.
public enum GEMM {
    /// Row-major C (m×n) = alpha·op(A)·op(B) + beta·C, op(A) m×k and op(B) k×n.
    @inline(__always)
    public static func multiply(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                                alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let status = cxr_sgemm_single_thread(transposeA ? 84 : 78, transposeB ? 84 : 78, Int64(m), Int64(n), Int64(k),
                                             alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        precondition(status == dnnl_success, "oneDNN sgemm failed (\(status.rawValue)) for \(m)×\(n)×\(k)")
    }

    /// What runs the products, for benchmarks and model cards: "oneDNN 2.6.3 sgemm, avx2".
    public static var kernels: String {
        let v = dnnl_version()!.pointee
        return "oneDNN \(v.major).\(v.minor).\(v.patch) sgemm, \(String(cString: dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa())))"
    }
}
